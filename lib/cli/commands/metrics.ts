/** `metrics show|diff|modify` and `params diff`: flags -> lib/metrics, lib/params -> tables/JSON. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { displayPath, type Repo } from "../../repo/repo.ts";
import { UsageError } from "../../errors.ts";
import { gitAddHint } from "../render/git_hint.ts";
// The metrics/params code is loaded when one of these commands runs (fast start-up).
import type { ShowResult } from "../../repo/metrics/show.ts";
import type { DiffResult } from "../../repo/metrics/diff.ts";
import type { DiffData } from "../../metrics/compare.ts";
import {
  DEFAULT_PRECISION,
  diffTable,
  formatTable,
  metricsTable,
  type ShowResult as TableShowResult,
  type TableFormat,
} from "../render/metrics_table.ts";

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

function intArg(value: string): number {
  if (!/^-?\d+$/.test(value)) {
    throw new UsageError(`argument --precision: invalid int value: '${value}'`);
  }
  return Number(value);
}

function tableFormat(o: { md?: boolean; csv?: boolean }): TableFormat {
  if (o.md && o.csv) throw new UsageError("--md and --csv are mutually exclusive");
  return o.md ? "md" : o.csv ? "csv" : "plain";
}

/** Print a table: markdown gets DVC's trailing blank line; empty plain tables print nothing. */
export function printTable(ctx: CliContext, text: string, format: TableFormat): void {
  if (!text) return;
  if (format === "md") ctx.io.out(text + "\n");
  else ctx.io.out(text);
}

const revName = (rev: string) => rev || "workspace";

/** Show-result paths relative to the user's directory. */
function relShow(repo: Repo, res: ShowResult): ShowResult {
  const out: ShowResult = {};
  for (const [rev, r] of Object.entries(res)) {
    if (!r.data) {
      out[rev] = r;
      continue;
    }
    const data: NonNullable<typeof r.data> = {};
    for (const [p, fr] of Object.entries(r.data)) data[displayPath(repo, p)] = fr;
    out[rev] = { data };
  }
  return out;
}

function relDiff(repo: Repo, diff: DiffData): DiffData {
  const out: DiffData = {};
  for (const [p, d] of Object.entries(diff)) out[displayPath(repo, p)] = d;
  return out;
}

/** A metrics/params file that does not exist at that revision (DVC's FileNotFoundError). */
function isNotFound(err: Error): boolean {
  return err.name === "FileNotFoundError" || err.name === "DataIndexDirError" ||
    err instanceof Deno.errors.NotFound;
}

/** Per-file errors and missing cache objects on stderr; returns the revisions that failed. */
function reportShowProblems(ctx: CliContext, repo: Repo, res: ShowResult, what: string): string[] {
  const errored: string[] = [];
  for (const [rev, r] of Object.entries(res)) {
    if (r.error) {
      ctx.io.warn(`failed to load ${what} in revision '${revName(rev)}', ${r.error.message}`);
      errored.push(revName(rev));
      continue;
    }
    let failed = false;
    for (const [p, fr] of Object.entries(r.data ?? {})) {
      const shown = displayPath(repo, p);
      if ("error" in fr) {
        // a file absent at a revision: DVC names only the revision (below); the
        // rest (syntax errors...) with file and position
        const text = `failed to load ${what} '${shown}' in '${revName(rev)}': ${fr.error.message}`;
        if (isNotFound(fr.error)) ctx.io.debug(text);
        else ctx.io.err(`ERROR: ${text}`);
        failed = true;
      } else if ("missing" in fr) {
        ctx.io.warn(
          `'${shown}' in '${revName(rev)}' is not in the cache (object ${fr.missing.md5} of ` +
            `output '${fr.missing.output}'); fetch it from a remote to see it`,
        );
      }
    }
    if (failed) errored.push(revName(rev));
  }
  return errored;
}

function reportDiffProblems(ctx: CliContext, repo: Repo, res: DiffResult, what: string): void {
  for (const [rev, errs] of Object.entries(res.errors)) {
    if (errs instanceof Error) {
      ctx.io.warn(`failed to load ${what} in revision '${rev}', ${errs.message}`);
      continue;
    }
    for (const [p, e] of Object.entries(errs)) {
      const text = `failed to load ${what} '${displayPath(repo, p)}' in '${rev}': ${e.message}`;
      if (isNotFound(e)) ctx.io.debug(text);
      else ctx.io.err(`ERROR: ${text}`);
    }
  }
  for (const [rev, paths] of Object.entries(res.missing)) {
    for (const p of paths) {
      ctx.io.warn(
        `'${
          displayPath(repo, p)
        }' in '${rev}' is not in the cache; fetch it from a remote to compare it`,
      );
    }
  }
  const errored = Object.keys(res.errors);
  if (errored.length) {
    ctx.io.err(`DVC failed to load some ${what} for following revisions: '${errored.join(", ")}'.`);
  }
}

interface ShowFlags {
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  rev: string[];
  json?: boolean;
  md?: boolean;
  csv?: boolean;
  recursive?: boolean;
  precision?: number;
  all?: boolean;
}

interface DiffFlags {
  targets?: string[];
  recursive?: boolean;
  all?: boolean;
  json?: boolean;
  md?: boolean;
  csv?: boolean;
  noPath?: boolean;
  path?: boolean;
  precision?: number;
  deps?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  const metrics = program.command("metrics").description(
    "Commands to display and compare metrics.",
  );

  defineCommand(
    metrics,
    ctx,
    "show",
    "Print metrics, with optional formatting.",
    (c) =>
      c.argument(
        "[targets...]",
        "Limit command scope to these metrics files (directories are searched).",
      )
        .option("-a, --all-branches", "Show metrics for all branches.")
        .option("-T, --all-tags", "Show metrics for all tags.")
        .option("-A, --all-commits", "Show metrics for all commits.")
        .option("--rev <rev>", "Show metrics for this revision (repeatable).", collect, [])
        .option("--json", "Show output in JSON format.")
        .option("--md", "Show tabulated output in the Markdown format (GFM).")
        .option("--csv", "Show output in CSV format.")
        .option("-R, --recursive", "Search directories given as targets recursively (always done).")
        .option(
          "--precision <n>",
          `Round metrics to n digits after the decimal point (default ${DEFAULT_PRECISION}).`,
          intArg,
        )
        .option("--all", "Keep the workspace row even when it equals the current branch."),
    async (targets: string[], o: ShowFlags) => {
      const format = tableFormat(o);
      const repo = repoFor(ctx);
      const { showMetrics } = await import("../../repo/metrics/show.ts");
      const res = showMetrics(repo, {
        targets,
        allBranches: o.allBranches,
        allTags: o.allTags,
        allCommits: o.allCommits,
        revs: o.rev,
        hideWorkspace: !o.all,
      });
      const errored = reportShowProblems(ctx, repo, res, "metrics");
      if (errored.length) {
        ctx.io.err(
          `DVC failed to load some metrics for following revisions: '${errored.join(", ")}'.`,
        );
      }
      const rel = relShow(repo, res);
      if (o.json) {
        printJson(ctx, rel);
        return;
      }
      const td = metricsTable(rel as TableShowResult, {
        withRevision: !!(o.allBranches || o.allTags || o.allCommits || o.rev.length),
        precision: o.precision || DEFAULT_PRECISION,
        roundDigits: true,
      });
      printTable(ctx, formatTable(td.columns, td.cells(), format), format);
    },
  );

  defineCommand(
    metrics,
    ctx,
    "diff",
    "Show changes in metrics between commits in the DVC repository, or between a commit and the workspace.",
    (c) =>
      c.argument("[a_rev]", "Old Git commit to compare (defaults to HEAD)")
        .argument("[b_rev]", "New Git commit to compare (defaults to the current workspace)")
        .option("--targets <paths...>", "Specific metrics file(s) to compare.")
        .option("-R, --recursive", "Search directories given as targets recursively (always done).")
        .option("--all", "Show unchanged metrics as well.")
        .option("--json", "Show output in JSON format.")
        .option("--md", "Show tabulated output in the Markdown format (GFM).")
        .option("--csv", "Show output in CSV format.")
        .option("--no-path", "Don't show metric path.")
        .option(
          "--precision <n>",
          `Round metrics to n digits after the decimal point (default ${DEFAULT_PRECISION}).`,
          intArg,
        ),
    async (aRev: string | undefined, bRev: string | undefined, o: DiffFlags) => {
      const format = tableFormat(o);
      const repo = repoFor(ctx);
      const { diffMetrics } = await import("../../repo/metrics/diff.ts");
      const res = diffMetrics(repo, { aRev, bRev, targets: o.targets, all: o.all });
      reportDiffProblems(ctx, repo, res, "metrics");
      const diff = relDiff(repo, res.diff);
      if (o.json) {
        printJson(ctx, diff);
        return;
      }
      const t = diffTable(diff, {
        title: "Metric",
        aRev,
        bRev,
        noPath: o.path === false,
        precision: o.precision || DEFAULT_PRECISION,
        roundDigits: true,
      });
      printTable(ctx, formatTable(t.headers, t.rows, format), format);
    },
  );

  defineCommand(
    metrics,
    ctx,
    "modify",
    "Set how a metrics file is read and which value is shown (DVC 0.x `metrics modify`).",
    (c) =>
      c.argument("<path>", "Metrics file.")
        .option(
          "-t, --type <type>",
          "Type of the file: json, yaml, toml, py, csv, tsv, hcsv, htsv, raw.",
        )
        .option(
          "-x, --xpath <path>",
          "The value to show: dotted key or JSONPath (`acc`, `$.a.b[0]`), or `row,col` for csv/tsv.",
        )
        .option("--unset", "Forget the settings of this file."),
    async (path: string, o: { type?: string; xpath?: string; unset?: boolean }) => {
      const repo = repoFor(ctx);
      const { targetPaths } = await import("../../repo/metrics/show.ts");
      const { modifyMetric } = await import("../../repo/metrics/modify.ts");
      const [rel] = targetPaths(repo, [path]);
      const r = modifyMetric(repo, rel, o);
      if (r.gitFiles.length) ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
    },
  );

  const params = program.command("params").description("Commands to display params.");
  defineCommand(
    params,
    ctx,
    "diff",
    "Show changes in params between commits in the DVC repository, or between a commit and the workspace.",
    (c) =>
      c.argument("[a_rev]", "Old Git commit to compare (defaults to HEAD)")
        .argument("[b_rev]", "New Git commit to compare (defaults to the current workspace)")
        .option("--targets <paths...>", "Specific params file(s) to compare (whole files).")
        .option("--all", "Show unchanged params as well.")
        .option("--deps", "Show only params that are stage dependencies.")
        .option("--json", "Show output in JSON format.")
        .option("--md", "Show tabulated output in the Markdown format (GFM).")
        .option("--csv", "Show output in CSV format.")
        .option("--no-path", "Don't show params path."),
    async (aRev: string | undefined, bRev: string | undefined, o: DiffFlags) => {
      const format = tableFormat(o);
      const repo = repoFor(ctx);
      const { diffParams } = await import("../../repo/params/diff.ts");
      const res = diffParams(repo, { aRev, bRev, targets: o.targets, all: o.all, deps: o.deps });
      reportDiffProblems(ctx, repo, res, "params");
      const diff = relDiff(repo, res.diff);
      if (o.json) {
        printJson(ctx, diff);
        return;
      }
      if (!Object.keys(diff).length) return;
      const t = diffTable(diff, {
        title: "Param",
        aRev,
        bRev,
        noPath: o.path === false,
        showChanges: false,
      });
      printTable(ctx, formatTable(t.headers, t.rows, format), format);
    },
  );
}
