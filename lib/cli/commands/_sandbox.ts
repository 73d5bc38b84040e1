/** `repro --sandbox[=on|hermetic]` and `--explain-inputs`: flags -> StageRunOptions. */
import { type Command, Option } from "../argparse.ts";
import type { CliContext } from "../context.ts";
import { loadCairnConfig, POLICIES, type SandboxPolicy } from "../../config/cairn_config.ts";
import type { StageRunOptions } from "../../pipeline/run_stage.ts";
import { inputsReportText, noticeText } from "../render/sandbox.ts";
// backend_choice.ts, not availability.ts/landlock.ts: those load only when a stage runs sandboxed
import {
  BACKEND_CHOICES,
  parseBackend,
  setSandboxBackend,
  wantLandlockLauncher,
} from "../../sandbox/backend_choice.ts";

export interface SandboxFlags {
  /** true for a bare `--sandbox`; a policy word otherwise. */
  sandbox?: string | boolean;
  explainInputs?: boolean;
  /** `--sandbox-backend auto|bwrap|landlock`. */
  sandboxBackend?: string;
}

export function addSandboxFlags(c: Command): Command {
  return c
    .addOption(
      new Option(
        "--sandbox [policy]",
        "Run stages sandboxed: on (default), hermetic or off; overrides stage and project " +
          "settings (cairn only, see docs/sandbox.md).",
      ),
    )
    .addOption(
      new Option(
        "--sandbox-backend <backend>",
        "Sandbox implementation: auto (bwrap when it works here, else Landlock), bwrap or " +
          "landlock; overrides sandbox.backend in .dvc/cairn.yaml (cairn only).",
      ).choices(BACKEND_CHOICES),
    )
    .option(
      "--explain-inputs",
      "Trace the stages that run and report files read but not declared as deps, and deps " +
        "never read, with the dvc.yaml fix (cairn only; needs strace).",
    );
}

/**
 * The run options for the flags. `--sandbox train` (a bare flag followed by a
 * target) takes `train` as the flag's value: it is given back as a target.
 */
export function stageRunOptions(
  ctx: CliContext,
  flags: SandboxFlags,
  targets: string[],
): StageRunOptions & { reported: () => number } {
  let policy: SandboxPolicy | undefined;
  if (flags.sandbox === true) policy = "on";
  else if (typeof flags.sandbox === "string") {
    if ((POLICIES as readonly string[]).includes(flags.sandbox)) {
      policy = flags.sandbox as SandboxPolicy;
    } else {
      targets.push(flags.sandbox);
      policy = "on";
    }
  }
  setSandboxBackend(
    parseBackend(flags.sandboxBackend) ?? projectBackend(ctx) ?? "auto",
  );
  wantLandlockLauncher(); // a launcher starts only once Landlock is chosen
  let reports = 0;
  return {
    policy,
    explainInputs: flags.explainInputs,
    onInputs: (address, report, info) => {
      reports++;
      ctx.io.out(inputsReportText(address, report, info));
    },
    onNotice: (address, vs, info) => ctx.io.warn(noticeText(address, vs, info)),
    reported: () => reports,
  };
}

/** `sandbox.backend` of the project around `ctx.cwd` (.dvc/cairn.yaml), if any. */
export function projectBackend(ctx: CliContext): "auto" | "bwrap" | "landlock" | undefined {
  let dir = ctx.cwd;
  for (;;) {
    try {
      if (Deno.statSync(`${dir}/.dvc`).isDirectory) return loadCairnConfig(dir).sandbox.backend;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const up = dir.slice(0, dir.lastIndexOf("/")) || "/";
    if (up === dir) return undefined;
    dir = up;
  }
}
