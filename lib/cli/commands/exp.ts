/**
 * `exp run|show|list|diff|apply|branch|remove|save` (dvc-spec §14);
 * `--queue`, `--run-all`, `--temp` and the `queue` command are in
 * exp_queue.ts.
 */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { CairnError, UsageError } from "../../errors.ts";
import { diffTable, formatTable, type TableFormat } from "../render/metrics_table.ts";
import { richWidth } from "../render/rich.ts";
import { addReproFlags, type ReproFlags, reproOptionsFor } from "./repro.ts";
import { registerQueue } from "./exp_queue.ts";
import { type ExpListFlags, registerExpRemote } from "./exp_remote.ts";
import { registerExpGc } from "./exp_gc.ts";

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

interface ExpRunFlags extends ReproFlags {
  setParam: string[];
  name?: string;
  message?: string;
}

async function expRun(ctx: CliContext, targets: string[], o: ExpRunFlags): Promise<void> {
  const { runExperiment } = await import("../../repo/exp/run.ts");
  const repo = repoFor(ctx);
  // DVC ends a stage that ran with a blank line, the last one too
  let lastEvent = "";
  if (o.dry) throw new UsageError("'exp run --dry' is not supported: use 'cairn repro --dry'");
  const res = await runExperiment(repo, targets, {
    setParams: o.setParam,
    name: o.name,
    message: o.message,
    onStart: (name) => ctx.io.info(`Reproducing experiment '${name}'`),
    repro: reproOptionsFor(ctx, o, targets, (type) => (lastEvent = type)),
  });
  if (lastEvent === "lock") ctx.io.info("");
  ctx.io.info(`Ran experiment(s): ${res.name}`);
  ctx.io.info("Experiment results have been applied to your workspace.");
}

// ---- exp show ----

interface ShowFlags {
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  rev: string[];
  num?: string;
  pager?: boolean;
  hideQueued?: boolean;
  hideFailed?: boolean;
  hideWorkspace?: boolean;
  paramDeps?: boolean;
  json?: boolean;
  csv?: boolean;
  md?: boolean;
  onlyChanged?: boolean;
  sortBy?: string;
  sortOrder?: string;
  drop: string[];
  keep: string[];
  precision?: string;
  sha?: boolean;
}

function tableFormat(o: { md?: boolean; csv?: boolean; json?: boolean }): TableFormat {
  if ([o.md, o.csv, o.json].filter(Boolean).length > 1) {
    throw new UsageError("--json, --md and --csv are mutually exclusive");
  }
  return o.md ? "md" : o.csv ? "csv" : "plain";
}

export function register(program: Command, ctx: CliContext): void {
  const exp = program.command("exp").alias("experiments").description(
    "Run and compare experiments (in the workspace, or queued and run in temporary workspaces).",
  );

  defineCommand(
    exp,
    ctx,
    "run",
    "Run an experiment: apply -S overrides, reproduce, commit the result to refs/exps.",
    (c) =>
      addReproFlags(c.argument("[targets...]", "Stages to reproduce. 'dvc.yaml' by default."))
        .option(
          "-S, --set-param <[file:]key=value>",
          "Set a param (Hydra syntax: +key=v adds, ++key=v adds or overrides, ~key deletes). " +
            "Repeatable; the file defaults to params.yaml.",
          collect,
          [],
        )
        .option("-n, --name <name>", "Name of the experiment (default: random adjective-noun).")
        .option("-m, --message <message>", "Commit message of the experiment commit.")
        .option("--queue", "Stage this experiment in the run queue for future execution.")
        .option("--run-all", "Execute all experiments in the run queue (-j N at once).")
        .option(
          "--temp",
          "Run this experiment in a temporary workspace (the workspace is not touched).",
        ),
    async (
      targets: string[],
      o: ExpRunFlags & { queue?: boolean; runAll?: boolean; temp?: boolean },
    ) => {
      if (o.queue || o.runAll || o.temp) {
        const { expRunQueued } = await import("./exp_queue.ts");
        await expRunQueued(
          ctx,
          targets,
          o,
          () => reproOptionsFor(ctx, { ...o, jobs: o.runAll ? undefined : o.jobs }, targets),
        );
        return;
      }
      await expRun(ctx, targets, o);
    },
  );

  defineCommand(
    exp,
    ctx,
    "save",
    "Save the current workspace as an experiment (no pipeline run).",
    (c) =>
      c.option("-n, --name <name>", "Name of the experiment (default: random adjective-noun).")
        .option("-m, --message <message>", "Commit message of the experiment commit.")
        .option("-f, --force", "Replace an experiment of the same name."),
    async (o: { name?: string; message?: string; force?: boolean }) => {
      const { saveExperiment } = await import("../../repo/exp/run.ts");
      const res = saveExperiment(repoFor(ctx), o);
      ctx.io.out(`Experiment has been saved as: ${res.name}`);
    },
  );

  defineCommand(
    exp,
    ctx,
    "show",
    "Print experiments (workspace, baseline, its experiments) with their metrics and params.",
    (c) =>
      c.option("-a, --all-branches", "Show experiments derived from the tip of all Git branches.")
        .option("-T, --all-tags", "Show experiments derived from all Git tags.")
        .option("-A, --all-commits", "Show experiments derived from all Git commits.")
        .option(
          "--rev <commit>",
          "Show experiments derived from the specified commit (repeatable).",
          collect,
          [],
        )
        .option(
          "-n, --num <num>",
          "Show the last `num` commits from each baseline (first-parent history).",
        )
        .option("--no-pager", "Do not pipe output into a pager (cairn never pages).")
        .option("--no-fetch", "Do not fetch running experiments (cairn reads them in place).")
        .option("--sha", "Always show git commit SHAs instead of branch/tag names.")
        .option("-f, --force", "Accepted for DVC's CLI (cairn keeps no experiment cache).")
        .option("--hide-queued", "Hide queued experiments in the table.")
        .option("--hide-failed", "Hide failed experiments in the table.")
        .option("--hide-workspace", "Hide workspace row in the table.")
        .option("--param-deps", "Show only params that are stage dependencies.")
        .option("--json", "Show output in JSON format (DVC's shape).")
        .option("--csv", "Show output in CSV format.")
        .option("--md", "Show tabulated output in the Markdown format (GFM).")
        .option("--only-changed", "Only show metrics/params/deps that differ between rows.")
        .option("--sort-by <column>", "Sort experiments by this metric or param.")
        .option("--sort-order <order>", "asc (default) or desc.", "asc")
        .option(
          "--drop <regex>",
          "Remove the columns whose header matches (repeatable).",
          collect,
          [],
        )
        .option(
          "--keep <regex>",
          "Keep the columns whose header matches, whatever else says (repeatable).",
          collect,
          [],
        )
        .option("--precision <n>", "Significant digits of floats in --csv (the table: 5)."),
    async (o: ShowFlags) => {
      const format = tableFormat(o);
      if (o.sortOrder && !["asc", "desc"].includes(o.sortOrder)) {
        throw new UsageError(`argument --sort-order: invalid choice: '${o.sortOrder}'`);
      }
      let num = 1;
      if (o.num !== undefined) {
        num = Number(o.num);
        if (!Number.isInteger(num) || num < 0) {
          throw new UsageError(`argument -n/--num: invalid int value: '${o.num}'`);
        }
      }
      const { showExperiments } = await import("../../repo/exp/show.ts");
      const nodes = showExperiments(repoFor(ctx), { ...o, revs: o.rev, num, shaOnly: o.sha });
      if (o.json) {
        printJson(ctx, nodes);
        return;
      }
      let precision: number | undefined;
      if (o.precision !== undefined) {
        precision = Number(o.precision);
        if (!/^-?\d+$/.test(o.precision)) {
          throw new UsageError(`argument --precision: invalid int value: '${o.precision}'`);
        }
      }
      const { renderExpShow } = await import("../../repo/exp/show_table.ts");
      const text = renderExpShow(nodes, {
        csv: format === "csv",
        markdown: format === "md",
        precision,
        sortBy: o.sortBy,
        sortOrder: o.sortOrder === "desc" ? "desc" : "asc",
        keep: o.keep,
        drop: o.drop,
        onlyChanged: o.onlyChanged,
        pager: o.pager,
        width: richWidth(),
      });
      if (text) ctx.io.out(text);
    },
  );

  defineCommand(
    exp,
    ctx,
    "list",
    "List local experiments, or those on a Git remote.",
    (c) =>
      c.argument("[git_remote]", "Git remote name or Git URL (default: this repository).")
        .option("-A, --all-commits", "List all experiments in the repository.")
        .option(
          "--rev <commit>",
          "List experiments derived from the specified commit.",
          collect,
          [],
        )
        .option("-n, --num <num>", "List experiments from the last 'num' commits (first parents).")
        .option("--name-only, --names-only", "Print only the experiment names.")
        .option("--sha-only", "Only output experiment commit SHAs.")
        .option("--json", "Show output in JSON format."),
    async (gitRemote: string | undefined, o: ExpListFlags) => {
      const { expList } = await import("./exp_remote.ts");
      await expList(ctx, gitRemote, o);
    },
  ).alias("ls");

  defineCommand(
    exp,
    ctx,
    "diff",
    "Show changes in metrics and params between two experiments or commits.",
    (c) =>
      c.argument("[a_rev]", "Old experiment/commit (defaults to HEAD).")
        .argument("[b_rev]", "New experiment/commit (defaults to the workspace).")
        .option("--all", "Show unchanged metrics/params as well.")
        .option("--json", "Show output in JSON format.")
        .option("--md", "Show tabulated output in the Markdown format (GFM).")
        .option("--no-path", "Don't show the file path.")
        .option("--precision <n>", "Round metrics to n digits (default 5)."),
    async (
      aRev: string | undefined,
      bRev: string | undefined,
      o: { all?: boolean; json?: boolean; md?: boolean; path?: boolean; precision?: string },
    ) => {
      const format = tableFormat(o);
      const repo = repoFor(ctx);
      const { resolveExp } = await import("../../repo/exp/refs.ts");
      const { namedRevision } = await import("../../repo/revisions.ts");
      // unknown names fail loudly, before any diff is computed
      for (const r of [aRev, bRev]) {
        if (r === undefined || r === "workspace") continue;
        try {
          namedRevision(repo, r);
        } catch (err) {
          // not a git revision: an experiment name, or resolveExp's error naming it
          if (!(err instanceof CairnError)) throw err;
          resolveExp(repo, r);
        }
      }
      const { diffMetrics } = await import("../../repo/metrics/diff.ts");
      const { diffParams } = await import("../../repo/params/diff.ts");
      const m = diffMetrics(repo, { aRev, bRev, all: o.all });
      const p = diffParams(repo, { aRev, bRev, all: o.all });
      if (o.json) {
        printJson(ctx, { metrics: m.diff, params: p.diff });
        return;
      }
      const precision = o.precision ? Number(o.precision) : 5;
      const parts: string[] = [];
      for (const [diff, title] of [[m.diff, "Metric"], [p.diff, "Param"]] as const) {
        const t = diffTable(diff, {
          title,
          aRev,
          bRev,
          noPath: o.path === false,
          precision: title === "Metric" ? precision : undefined,
          roundDigits: true,
        });
        const text = formatTable(t.headers, t.rows, format);
        if (text) parts.push(text);
      }
      if (parts.length) ctx.io.out(parts.join("\n\n"));
    },
  );

  defineCommand(
    exp,
    ctx,
    "apply",
    "Apply an experiment's changes to the workspace (HEAD does not move).",
    (c) => c.argument("<experiment>", "Experiment name, ref or commit."),
    async (name: string) => {
      const { applyExperiment } = await import("../../repo/exp/manage.ts");
      const e = await applyExperiment(repoFor(ctx), name);
      ctx.io.out(
        `Changes for experiment '${e.name}' have been applied to your current workspace.`,
      );
    },
  );

  defineCommand(
    exp,
    ctx,
    "branch",
    "Create a Git branch from an experiment.",
    (c) =>
      c.argument("<experiment>", "Experiment name, ref or commit.")
        .argument("[branch]", "Branch name (default: <experiment>-branch)."),
    async (name: string, branch: string | undefined) => {
      const { branchExperiment } = await import("../../repo/exp/manage.ts");
      const r = branchExperiment(repoFor(ctx), name, branch);
      ctx.io.out(
        `Git branch '${r.branch}' has been created from experiment '${r.exp.name}'.\n` +
          `To switch to the new branch run:\n\n\tgit checkout ${r.branch}`,
      );
    },
  );

  defineCommand(
    exp,
    ctx,
    "remove",
    "Remove experiments (their data stays in the cache until gc).",
    (c) =>
      c.argument("[experiment...]", "Experiments to remove.")
        .option("-A, --all-commits", "Remove every experiment.")
        .option(
          "--rev <commit>",
          "Remove the experiments of this baseline (repeatable).",
          collect,
          [],
        )
        .option("--queue", "Remove all queued experiments.")
        .option("-g, --git-remote <remote>", "Remove the experiments from this Git remote."),
    async (
      names: string[],
      o: { allCommits?: boolean; rev: string[]; queue?: boolean; gitRemote?: string },
    ) => {
      if (o.gitRemote) {
        if (!names.length && !o.allCommits && !o.rev.length) {
          throw new UsageError(
            "Either provide an `experiment` argument, or use the `--rev` or `--all-commits` flag.",
          );
        }
        const repo = repoFor(ctx);
        const { removeRemoteExperiments, selectRemoteExps } = await import(
          "../../repo/exp/remote.ts"
        );
        const exps = selectRemoteExps(repo, o.gitRemote, {
          names,
          allCommits: o.allCommits,
          revs: o.rev,
        });
        const removed = removeRemoteExperiments(repo, o.gitRemote, exps);
        if (removed.length) ctx.io.out(`Removed experiments: ${removed.join(", ")}`);
        else ctx.io.out("No experiments to remove.");
        return;
      }
      if (o.queue) {
        const { removeFromQueue } = await import("../../repo/exp/queue.ts");
        const removed = await removeFromQueue(repoFor(ctx), [], { queued: true });
        if (!names.length && !o.allCommits && !o.rev.length) {
          if (removed.length) ctx.io.out(`Removed experiments: ${removed.join(", ")}`);
          else ctx.io.out("No experiments to remove.");
          return;
        }
      }
      if (!names.length && !o.allCommits && !o.rev.length) {
        throw new UsageError(
          "Either provide an `experiment` argument, or use the `--rev` or `--all-commits` flag.",
        );
      }
      const repo = repoFor(ctx);
      const { removeExperiments } = await import("../../repo/exp/manage.ts");
      // as DVC: a name that is no experiment ref may be a queued experiment
      const { resolveExp, UnknownExperimentError } = await import("../../repo/exp/refs.ts");
      const { listQueued } = await import("../../repo/exp/queue_store.ts");
      const queuedNames = new Set(listQueued(repo).map((e) => e.name));
      const fromQueue = names.filter((n) => {
        if (!queuedNames.has(n)) return false;
        try {
          resolveExp(repo, n);
          return false;
        } catch (err) {
          if (err instanceof UnknownExperimentError) return true;
          throw err;
        }
      });
      const refNames = names.filter((n) => !fromQueue.includes(n));
      const removed = refNames.length || o.allCommits || o.rev.length
        ? removeExperiments(repo, refNames, { allCommits: o.allCommits, revs: o.rev })
          .map((e) => e.name)
        : [];
      if (fromQueue.length) {
        const { removeFromQueue } = await import("../../repo/exp/queue.ts");
        removed.push(...await removeFromQueue(repo, fromQueue));
      }
      if (removed.length) {
        ctx.io.out(`Removed experiments: ${removed.join(", ")}`);
      } else ctx.io.out("No experiments to remove.");
    },
  ).alias("rm");

  defineCommand(
    exp,
    ctx,
    "rename",
    "Rename experiments.",
    (c) =>
      c.argument("<experiment>", "Experiment to rename.")
        .argument("<name>", "Name of new experiment.")
        .option("-f, --force", "Replace experiment with the same name."),
    async (name: string, newName: string, o: { force?: boolean }) => {
      const { renameExperiment } = await import("../../repo/exp/manage.ts");
      renameExperiment(repoFor(ctx), name, newName, o);
      ctx.io.out(`Renamed experiments: '${name}'`);
    },
  );

  registerExpRemote(exp, ctx);
  registerExpGc(exp, ctx);
  registerQueue(program, ctx);
}
