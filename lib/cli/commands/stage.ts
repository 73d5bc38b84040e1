/** `stage add`, `stage list` and the legacy `run`. */
import type { Command } from "../argparse.ts";
import { Option } from "../argparse.ts";
import { join, relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { CairnError, ExitCode, ReproductionError } from "../../errors.ts";
import type { StageAddOptions } from "../../repo/stage_add.ts";
import { gitAddHint } from "../render/git_hint.ts";
import { displayWidth } from "../../py/table.ts";
import { type ReproFlags, runRepro } from "./repro.ts";

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** The parsed flags: the options' fields, `-f` as typed, and the legacy `run` flags. */
type AddFlags = Omit<StageAddOptions, "command" | "force" | "legacyFile"> & {
  force?: boolean | string;
  run?: boolean;
  file?: string;
  exec?: boolean;
  commit?: boolean;
  runCache?: boolean;
};

function addStageFlags(c: Command, legacy: boolean): Command {
  c.option("-n, --name <name>", "Name of the stage to add.")
    .option("-d, --deps <path>", "Declare dependencies for reproducible cmd.", collect)
    .option(
      "-p, --params <[path:]params_list>",
      "Declare parameter to use as additional dependency.",
      collect,
    )
    .option("-o, --outs <path>", "Declare output file or directory.", collect)
    .option(
      "-O, --outs-no-cache <path>",
      "Declare output file or directory (do not put into DVC cache).",
      collect,
    )
    .option(
      "--outs-persist <path>",
      "Declare output file or directory that will not be removed upon repro.",
      collect,
    )
    .option(
      "--outs-persist-no-cache <path>",
      "Declare output file or directory that will not be removed upon repro (do not put into DVC cache).",
      collect,
    )
    .option("-m, --metrics <path>", "Declare output metrics file.", collect)
    .option(
      "-M, --metrics-no-cache <path>",
      "Declare output metrics file (do not put into DVC cache).",
      collect,
    )
    .option("--plots <path>", "Declare output plot file.", collect)
    .option(
      "--plots-no-cache <path>",
      "Declare output plot file (do not put into DVC cache).",
      collect,
    )
    .option("-w, --wdir <path>", "Directory within your repo to run your command in.")
    .option("--always-changed", "Always consider this DVC-file as changed.")
    .option("--desc <text>", "User description of the stage (optional).");
  if (legacy) {
    // DVC 0.x/1.x: `-f NAME.dvc` named the stage file; DVC 2.x: `-f` = --force.
    c.addOption(
      new Option(
        "-f, --force [file]",
        "Overwrite an existing stage (or, with a .dvc name, the legacy stage file).",
      ),
    )
      .option("--file <file>", "Legacy single-stage file name (NAME.dvc).")
      .option("--no-exec", "Only create the stage, don't run it.")
      .option("--no-commit", "Don't put files/directories into cache.")
      .option("--no-run-cache", "Execute the command even if this stage has already been run.");
  } else {
    c.option("-f, --force", "Overwrite existing stage")
      .option("--run", "Execute the stage after generating it.");
  }
  return c.argument("<command...>", "Command to execute.").passThroughOptions();
}

function toOptions(command: string[], o: AddFlags): StageAddOptions {
  let force = o.force === true;
  let legacyFile = o.file;
  const words = [...command];
  if (typeof o.force === "string") {
    if (o.force.endsWith(".dvc")) legacyFile = o.force;
    else {
      // `-f` was a flag and the word after it the start of the command
      force = true;
      words.unshift(o.force);
    }
  }
  return {
    name: o.name,
    command: words,
    deps: o.deps,
    params: o.params,
    outs: o.outs,
    outsNoCache: o.outsNoCache,
    outsPersist: o.outsPersist,
    outsPersistNoCache: o.outsPersistNoCache,
    metrics: o.metrics,
    metricsNoCache: o.metricsNoCache,
    plots: o.plots,
    plotsNoCache: o.plotsNoCache,
    wdir: o.wdir,
    force,
    alwaysChanged: o.alwaysChanged,
    desc: o.desc,
    legacyFile,
  };
}

/**
 * `stage add [--run]` (DVC 3) or the legacy `run` (DVC 2). DVC 3's stage add
 * says `Added stage 'x' in 'dvc.yaml'` and keeps the stage when `--run`
 * fails (exit 255, "failed to run: ..."); DVC 2's run printed the dvc.yaml
 * messages and wrote the stage only once the command succeeded.
 */
async function addAndMaybeRun(
  ctx: CliContext,
  command: string[],
  o: AddFlags,
  run: boolean,
  legacy = false,
): Promise<void> {
  const { stageAdd, targetFor, undoStageAdd } = await import("../../repo/stage_add.ts");
  const repo = repoFor(ctx);
  const r = await stageAdd(repo, toOptions(command, o));
  const rel = relative(repo.cwd, join(repo.root, r.file)).split("\\").join("/");
  if (!legacy) ctx.io.info(`Added stage '${r.stage.name}' in '${rel}'`);
  else if (r.stage.kind === "pipeline") {
    // DVC `_dump_pipeline_file` messages
    if (r.created) ctx.io.info(`Creating '${rel}'`);
    ctx.io.info(`${r.replaced ? "Modifying" : "Adding"} stage '${r.stage.name}' in '${rel}'`);
  }
  if (!run) {
    if (!r.autostaged && repo.scmRoot) ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
    return;
  }
  const flags: ReproFlags = {
    commit: o.commit,
    runCache: o.runCache,
    singleItem: true,
    quietSummary: !legacy,
  };
  const fresh = r.stage.kind === "dvcfile" ? [r.file] : [];
  try {
    await runRepro(ctx, [targetFor(repo, r.stage)], flags, { freshFiles: fresh }, r.gitFiles);
  } catch (err) {
    if (legacy) undoStageAdd(r);
    // stage.run()'s own error, without repro's "failed to reproduce 'x':" wrapper
    if (!legacy && err instanceof ReproductionError && err.cause instanceof Error) {
      throw new CairnError(err.cause.message, { exitCode: ExitCode.other });
    }
    throw err;
  }
}

export function register(program: Command, ctx: CliContext): void {
  const stage = program.command("stage").description("Commands to list and create stages.")
    .enablePositionalOptions();
  defineCommand(
    stage,
    ctx,
    "add",
    "Create stage",
    (c) => addStageFlags(c, false),
    async (command: string[], o: AddFlags) => {
      await addAndMaybeRun(ctx, command, o, !!o.run);
    },
  );
  defineCommand(
    stage,
    ctx,
    "migrate",
    "Turn legacy stage files (.dvc files with a command) into dvc.yaml stages, keeping their hashes in dvc.lock (cairn only).",
    (c) => c.argument("[targets...]", "Legacy .dvc stage files (default: all of them)."),
    async (targets: string[]) => {
      const { migrateLegacyStages } = await import("../../repo/stage_migrate.ts");
      const repo = repoFor(ctx);
      const done = await migrateLegacyStages(repo, targets);
      if (!done.length) {
        ctx.io.info("No legacy stage files to migrate.");
        return;
      }
      const rel = (f: string) => relative(repo.cwd, join(repo.root, f)).split("\\").join("/");
      for (const m of done) {
        ctx.io.info(`Migrated '${rel(m.from)}' to stage '${m.name}' in '${rel(m.file)}'`);
      }
      if (repo.scmRoot) {
        const files = [...new Set(done.flatMap((m) => [m.file, ...(m.lock ? [m.lock] : [])]))];
        ctx.io.info(
          `\nTo track the changes with git, run:\n\n\tgit add ${files.map(rel).join(" ")}\n` +
            `\tgit rm --cached ${done.map((m) => rel(m.from)).join(" ")}\n`,
        );
      }
    },
  );
  defineCommand(
    stage,
    ctx,
    "list",
    "List stages.",
    (c) =>
      c.argument(
        "[targets...]",
        "Show stages from a dvc.yaml/.dvc file or a directory. 'dvc.yaml' by default",
      )
        .option("--all", "List all of the stages in the repo.")
        .option("--fail", "Fail immediately, do not suppress any syntax errors.")
        .option("-R, --recursive", "List all stages inside the specified directory.")
        .option("--name-only", "List only stage names.")
        .option("--names-only", "List only stage names (same as --name-only)."),
    async (
      targets: string[],
      o: { all?: boolean; recursive?: boolean; nameOnly?: boolean; namesOnly?: boolean },
    ) => {
      if (o.namesOnly) o.nameOnly = true;
      const { stageList } = await import("../../repo/stage_list.ts");
      const repo = repoFor(ctx);
      const rows = stageList(repo, targets, { all: o.all, recursive: o.recursive });
      if (o.nameOnly) {
        if (rows.length) ctx.io.out(rows.map((r) => r.address).join("\n"));
        return;
      }
      const width = Math.max(0, ...rows.map((r) => displayWidth(r.address)));
      const lines = rows.map((r) =>
        (r.address + " ".repeat(width - displayWidth(r.address)) + "  " + r.description)
          .trimEnd()
      );
      if (lines.length) ctx.io.out(lines.join("\n"));
    },
  );
  defineCommand(
    program,
    ctx,
    "run",
    "Generate a stage and run it at once (DVC 2.x `dvc run`; = `stage add` + `repro`).",
    (c) => addStageFlags(c, true),
    async (command: string[], o: AddFlags) => {
      await addAndMaybeRun(ctx, command, o, o.exec !== false, true);
    },
  );
}
