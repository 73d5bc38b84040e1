/** `repro`: reproduce the pipeline (parallel with -j N). */
import type { Command } from "../argparse.ts";
import { Option } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { UsageError } from "../../errors.ts";
import type { ReproOptions } from "../../repo/reproduce.ts";
import { LinePrefixer } from "../../pipeline/line_prefixer.ts";
import { gitAddHint } from "../render/git_hint.ts";
import { PUSH_HINT, reproEventLine } from "../render/repro.ts";
import { UP_TO_DATE } from "../render/status.ts";
import { addSandboxFlags, type SandboxFlags, stageRunOptions } from "./_sandbox.ts";

export interface ReproFlags extends SandboxFlags {
  force?: boolean;
  singleItem?: boolean;
  pipeline?: boolean;
  allPipelines?: boolean;
  recursive?: boolean;
  downstream?: boolean;
  forceDownstream?: boolean;
  glob?: boolean;
  dry?: boolean;
  interactive?: boolean;
  keepGoing?: boolean;
  ignoreErrors?: boolean;
  pull?: boolean;
  allowMissing?: boolean;
  commit?: boolean;
  runCache?: boolean;
  /** no closing "Use `cairn push`..." / up-to-date line (`stage add --run`, as DVC). */
  quietSummary?: boolean;
  jobs?: string;
  gpus?: string;
  /** `--runner NAME` for every stage of this run. */
  runner?: string;
}

/** The repro flags shared by `repro` and `run`-like commands. */
export function addReproFlags(c: Command): Command {
  return addSandboxFlags(c)
    .option("-f, --force", "Reproduce even if dependencies were not changed.")
    .option(
      "-s, --single-item",
      "Reproduce only single data item without recursive dependencies check.",
    )
    .option("-p, --pipeline", "Reproduce the whole pipeline that the specified targets belong to.")
    .option("-P, --all-pipelines", "Reproduce all pipelines in the repo.")
    .option("-R, --recursive", "Reproduce all stages in the specified directory.")
    .option("--downstream", "Start from the specified stages when reproducing pipelines.")
    .option(
      "--force-downstream",
      "Reproduce all descendants of a changed stage even if their direct dependencies didn't change.",
    )
    .option("--glob", "Allows targets containing shell-style wildcards.")
    .option("--dry", "Only print the commands that would be executed without actually executing.")
    .option("-i, --interactive", "Ask for confirmation before reproducing each stage.")
    .option(
      "-k, --keep-going",
      "Continue executing, skipping stages having dependencies on the failed stages.",
    )
    .option("--ignore-errors", "Ignore errors from stages.")
    .option("--pull", "Try automatically pulling missing data.")
    .option("--allow-missing", "Skip stages with missing data but no other changes.")
    .option("--no-commit", "Don't put files/directories into cache.")
    .option(
      "--no-run-cache",
      "Execute stage commands even if they have already been run with the same command/dependencies/outputs/etc before.",
    )
    .addOption(
      new Option("-j, --jobs <number>", "Run up to N independent stages at once (cairn only).")
        .default(undefined),
    )
    .option(
      "--gpus <number>",
      "GPUs of this machine for stages' meta.resources (default: nvidia-smi -L) (cairn only).",
    )
    .option(
      "--runner <name>",
      "Run every stage with this runner (shell, slurm, or a project's runner plugin); " +
        "overrides stage and project settings (cairn only, see docs/slurm.md).",
    );
}

/** `--gpus N`. */
export function gpusOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`argument --gpus: invalid value '${v}'`);
  return n;
}

function jobsOf(v: string | undefined): number {
  if (v === undefined) return 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UsageError(`argument -j/--jobs: invalid value '${v}'`);
  }
  return n;
}

async function confirmTty(question: string): Promise<boolean> {
  const enc = new TextEncoder();
  Deno.stdout.writeSync(enc.encode(`${question} [y/n] `));
  const buf = new Uint8Array(256);
  const n = await Deno.stdin.read(buf);
  const answer = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim().toLowerCase();
  return answer === "y" || answer === "yes";
}

/**
 * ReproOptions from the CLI flags, printing events and (with -j > 1,
 * stage-prefixed) command output the way DVC does. Shared by repro, run
 * and exp run. `onEventType` sees every event type (exp run tracks the last).
 */
export function reproOptionsFor(
  ctx: CliContext,
  flags: ReproFlags,
  targets: string[],
  onEventType?: (type: string) => void,
): ReproOptions & { stageRun: ReturnType<typeof stageRunOptions> } {
  const jobs = jobsOf(flags.jobs);
  const parallel = jobs > 1;
  const prefixers = new Map<string, { out: LinePrefixer; err: LinePrefixer }>();
  const prefixer = (address: string) => {
    let p = prefixers.get(address);
    if (!p) {
      p = {
        out: new LinePrefixer(`[${address}] `, (t) => ctx.io.out(t)),
        err: new LinePrefixer(`[${address}] `, (t) => ctx.io.err(t)),
      };
      prefixers.set(address, p);
    }
    return p;
  };
  return {
    stageRun: { ...stageRunOptions(ctx, flags, targets), runner: flags.runner },
    force: flags.force,
    singleItem: flags.singleItem,
    pipeline: flags.pipeline,
    allPipelines: flags.allPipelines,
    recursive: flags.recursive,
    downstream: flags.downstream,
    forceDownstream: flags.forceDownstream,
    glob: flags.glob,
    dryRun: flags.dry,
    interactive: flags.interactive,
    confirm: confirmTty,
    keepGoing: flags.keepGoing,
    ignoreErrors: flags.ignoreErrors,
    pull: flags.pull,
    allowMissing: flags.allowMissing,
    noCommit: flags.commit === false,
    noRunCache: flags.runCache === false,
    jobs,
    gpus: gpusOf(flags.gpus),
    onEvent: (e) => {
      onEventType?.(e.type);
      const line = reproEventLine(e, parallel);
      if (!line) return;
      if (line.warn) ctx.io.warn(line.text);
      else ctx.io.info(line.text);
    },
    onOutput: parallel
      ? (address, stream, data) => {
        const p = prefixer(address);
        (stream === "stdout" ? p.out : p.err).push(data);
      }
      : ctx.io.childOutput
      ? (_address, stream, data) => ctx.io.childOutput!(stream, data)
      : undefined,
    onOutputEnd: (address) => {
      const p = prefixers.get(address);
      p?.out.flush();
      p?.err.flush();
    },
  };
}

/** Run a reproduction and print it the way DVC does. */
export async function runRepro(
  ctx: CliContext,
  targets: string[],
  flags: ReproFlags,
  extra: Partial<ReproOptions> = {},
  gitFiles: string[] = [],
): Promise<void> {
  const { reproduce } = await import("../../repo/reproduce.ts");
  const repo = repoFor(ctx);
  const opts = reproOptionsFor(ctx, flags, targets);
  const stageRun = opts.stageRun;
  const result = await reproduce(repo, targets, { ...opts, ...extra });
  const toTrack = [...new Set([...gitFiles, ...result.gitFiles])];
  if (!result.autostaged && toTrack.length && repo.scmRoot && !flags.dry) {
    ctx.io.info(gitAddHint(repo.cwd, toTrack));
  }
  if (flags.explainInputs && !flags.dry && stageRun.reported() === 0) {
    ctx.io.info("No stage ran, so no inputs were traced: use -f to run and explain every stage.");
  }
  if (!flags.quietSummary) ctx.io.info(result.changed.length ? PUSH_HINT : UP_TO_DATE);
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "repro",
    "Reproduce complete or partial pipelines by executing their stages.",
    (c) =>
      addReproFlags(
        c.argument("[targets...]", "Stages to reproduce. 'dvc.yaml' by default."),
      ),
    async (targets: string[], o: ReproFlags) => {
      await runRepro(ctx, targets, o);
    },
  );
}
