/**
 * Reading results for library users: params, metrics and plots (per
 * revision, as their `--json` forms), remotes (push/pull/fetch), and
 * experiments (run with `-S`-style overrides, save, compare, apply, remove).
 */
import { impl, type Repo } from "./repo.ts";
import { showMetrics as showMetricsImpl, type ShowResult } from "../repo/metrics/show.ts";
import { showParams as showParamsImpl } from "../repo/params/show.ts";
import { diffMetrics } from "../repo/metrics/diff.ts";
import { diffParams } from "../repo/params/diff.ts";
import { showPlots } from "../repo/plots/show.ts";
import { plotsJson } from "../plots/output.ts";
import { push as pushImpl } from "../repo/push.ts";
import { fetch as fetchImpl } from "../repo/fetch.ts";
import { pull as pullImpl } from "../repo/pull.ts";
import { remoteAdd } from "../repo/remote.ts";
import { runExperiment as runExperimentImpl, saveExperiment as saveImpl } from "../repo/exp/run.ts";
import { type ExpNode, showExperiments } from "../repo/exp/show.ts";
import {
  applyExperiment as applyImpl,
  removeExperiments as removeImpl,
} from "../repo/exp/manage.ts";
import { listExpRefs } from "../repo/exp/refs.ts";

/** Options selecting revisions: default the workspace only. */
export interface RevisionOptions {
  /** revisions (branch, tag, sha, `HEAD~1`, `workspace`). */
  revs?: string[];
  /** the tips of all branches too. */
  allBranches?: boolean;
  /** files (relative to the repo's cwd) instead of the ones dvc.yaml declares. */
  targets?: string[];
}

/**
 * `{revision: {file: data}}` (the workspace is `workspace`); a file that could
 * not be read has `{error: message}`.
 */
export type ValuesByRevision = Record<string, Record<string, unknown>>;

function flatten(r: ShowResult): ValuesByRevision {
  const out: ValuesByRevision = {};
  for (const [rev, res] of Object.entries(r)) {
    const files: Record<string, unknown> = {};
    if (res.error) files[""] = { error: res.error.message };
    for (const [path, f] of Object.entries(res.data ?? {})) {
      if ("data" in f) files[path] = f.data;
      else if ("error" in f) files[path] = { error: f.error.message };
      else files[path] = { error: `not in cache: ${f.missing.output}` };
    }
    // the workspace is "" when no revision was selected; one name for it is simpler to use
    out[rev === "" ? "workspace" : rev] = files;
  }
  return out;
}

/**
 * `cairn params show`: the params files stages depend on, per revision.
 *
 * @example
 * ```ts ignore
 * import { openRepo, showParams } from "@cairn/cairn";
 * const p = showParams(openRepo("."));
 * console.log(p.workspace["params.yaml"]);
 * ```
 */
export function showParams(repo: Repo, opts: RevisionOptions = {}): ValuesByRevision {
  return flatten(showParamsImpl(impl(repo), { ...opts, hideWorkspace: false }));
}

/**
 * `cairn metrics show`: metrics files (declared in dvc.yaml, or `targets`),
 * per revision.
 *
 * @example
 * ```ts ignore
 * import { openRepo, showMetrics } from "@cairn/cairn";
 * const m = showMetrics(openRepo("."), { revs: ["HEAD"] });
 * console.log(m.workspace["metrics.json"], m.HEAD?.["metrics.json"]);
 * ```
 */
export function showMetrics(repo: Repo, opts: RevisionOptions = {}): ValuesByRevision {
  return flatten(showMetricsImpl(impl(repo), { ...opts, hideWorkspace: false }));
}

/** One changed value: old, new and (when both are numbers) the difference. */
export interface ValueChange {
  /** value at the first revision. */
  old: unknown;
  /** value at the second revision. */
  new: unknown;
  /** new minus old, when both are numbers. */
  diff?: unknown;
}

/** `{file: {key: change}}`. */
export type ChangesByFile = Record<string, Record<string, ValueChange>>;

/** Options of the diff functions. */
export interface CompareOptions {
  /** first revision (default `HEAD`). */
  aRev?: string;
  /** second revision (default the workspace). */
  bRev?: string;
  /** also list unchanged values. */
  all?: boolean;
}

/**
 * `cairn metrics diff`: changed metrics between two revisions.
 *
 * @example
 * ```ts ignore
 * import { metricsDiff, openRepo } from "@cairn/cairn";
 * console.log(metricsDiff(openRepo("."), { aRev: "HEAD~1" }));
 * ```
 */
export function metricsDiff(repo: Repo, opts: CompareOptions = {}): ChangesByFile {
  return diffMetrics(impl(repo), opts).diff;
}

/**
 * `cairn params diff`: changed params between two revisions.
 *
 * @example
 * ```ts ignore
 * import { openRepo, paramsDiff } from "@cairn/cairn";
 * console.log(paramsDiff(openRepo(".")));
 * ```
 */
export function paramsDiff(repo: Repo, opts: CompareOptions = {}): ChangesByFile {
  return diffParams(impl(repo), opts).diff;
}

/** Options of `plotsData`. */
export interface PlotsDataOptions {
  /** plot ids or data files (default every plot). */
  targets?: string[];
  /** revisions (default the workspace). */
  revs?: string[];
  /** where image plots are copied (default a new temp folder). */
  outDir?: string;
}

/**
 * `cairn plots show --json`: each plot's filled Vega-Lite spec and data per
 * revision (`{data: {plot id: [...]}, errors?: [...]}`).
 *
 * @example
 * ```ts ignore
 * import { openRepo, plotsData } from "@cairn/cairn";
 * const doc = plotsData(openRepo("."));
 * console.log(Object.keys(doc.data as object));
 * ```
 */
export function plotsData(repo: Repo, opts: PlotsDataOptions = {}): Record<string, unknown> {
  const outDir = opts.outDir ?? Deno.makeTempDirSync({ prefix: "cairn-plots-" });
  return plotsJson(showPlots(impl(repo), { targets: opts.targets, revs: opts.revs }), { outDir });
}

/** Options of push/pull/fetch. */
export interface TransferOptions {
  /** the remote (default: each output's own, else the default remote). */
  remote?: string;
  /** parallel transfers. */
  jobs?: number;
  /** also the data of these revisions' outputs. */
  revs?: string[];
}

/** What a push, pull or fetch moved. */
export interface TransferSummary {
  /** objects transferred. */
  transferred: number;
  /** objects that failed, with why. */
  failed: { md5: string; error: string }[];
  /** objects neither in the cache nor on the remote. */
  missing: string[];
}

function summary(r: Awaited<ReturnType<typeof pushImpl>>): TransferSummary {
  return {
    transferred: r.transferred,
    failed: r.failed.map((f) => ({ md5: f.md5, error: f.error })),
    missing: r.missing.map((m) => m.md5),
  };
}

/**
 * `cairn push`: upload the data the remote lacks.
 *
 * @example
 * ```ts ignore
 * import { addRemote, openRepo, push } from "@cairn/cairn";
 * addRemote(openRepo("."), "store", "/mnt/backup/store", { default: true });
 * const r = await push(openRepo("."));
 * console.log(`${r.transferred} objects pushed`);
 * ```
 */
export async function push(
  repo: Repo,
  targets: string[] = [],
  opts: TransferOptions = {},
): Promise<TransferSummary> {
  return summary(await pushImpl(impl(repo), targets, opts));
}

/**
 * `cairn fetch`: download into the cache what it lacks.
 *
 * @example
 * ```ts ignore
 * import { fetch, openRepo } from "@cairn/cairn";
 * await fetch(openRepo("."), [], { remote: "store" });
 * ```
 */
export async function fetch(
  repo: Repo,
  targets: string[] = [],
  opts: TransferOptions = {},
): Promise<TransferSummary> {
  return summary(await fetchImpl(impl(repo), targets, opts));
}

/**
 * `cairn pull`: fetch, then check out.
 *
 * @example
 * ```ts ignore
 * import { openRepo, pull } from "@cairn/cairn";
 * const r = await pull(openRepo("."));
 * console.log(r.added);
 * ```
 */
export async function pull(
  repo: Repo,
  targets: string[] = [],
  opts: TransferOptions & { force?: boolean } = {},
): Promise<TransferSummary & { added: string[]; modified: string[] }> {
  const r = await pullImpl(impl(repo), targets, opts);
  return { ...summary(r), added: r.checkout.added, modified: r.checkout.modified };
}

/**
 * `cairn remote add` (repository config): a remote by name and URL.
 *
 * @example
 * ```ts
 * import { addRemote, init, openRepo } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * init(dir, { noScm: true });
 * addRemote(openRepo(dir), "store", `${dir}/../store`, { default: true });
 * ```
 */
export function addRemote(
  repo: Repo,
  name: string,
  url: string,
  opts: { default?: boolean; force?: boolean } = {},
): void {
  remoteAdd(name, url, { dvcDir: repo.dvcDir, cwd: repo.cwd }, opts);
}

/** Options of `runExperiment`. */
export interface RunExperimentOptions {
  /** parameter overrides, as `-S`: `{"lr": 0.05}` or `["train.lr=0.05"]`. */
  params?: Record<string, unknown> | string[];
  /** the experiment's name (default a random one). */
  name?: string;
  /** commit message. */
  message?: string;
  /** stages to reproduce (default all). */
  targets?: string[];
}

/** A recorded experiment. */
export interface ExperimentInfo {
  /** its name. */
  name: string;
  /** the experiment's commit. */
  sha: string;
  /** the commit it was run from. */
  baseline: string;
  /** its git ref (`refs/exps/...`). */
  ref: string;
}

function overrides(p: RunExperimentOptions["params"]): string[] {
  if (!p) return [];
  if (Array.isArray(p)) return p;
  return Object.entries(p).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`);
}

/**
 * `cairn exp run`: apply the overrides to the params files, reproduce, and
 * record the result as an experiment of HEAD (HEAD does not move; the
 * workspace keeps the results).
 *
 * @example
 * ```ts ignore
 * import { openRepo, runExperiment } from "@cairn/cairn";
 * const e = await runExperiment(openRepo("."), { params: { lr: 0.05 }, name: "slow" });
 * console.log(e.name, e.sha);
 * ```
 */
export async function runExperiment(
  repo: Repo,
  opts: RunExperimentOptions = {},
): Promise<ExperimentInfo> {
  const r = await runExperimentImpl(impl(repo), opts.targets ?? [], {
    setParams: overrides(opts.params),
    name: opts.name,
    message: opts.message,
  });
  return { name: r.name, sha: r.sha, baseline: r.baseline, ref: r.ref };
}

/**
 * `cairn exp save`: record the workspace as it is as an experiment of HEAD.
 *
 * @example
 * ```ts ignore
 * import { openRepo, saveExperiment } from "@cairn/cairn";
 * console.log(saveExperiment(openRepo("."), { name: "by-hand" }).sha);
 * ```
 */
export function saveExperiment(
  repo: Repo,
  opts: { name?: string; message?: string; force?: boolean } = {},
): ExperimentInfo {
  const r = saveImpl(impl(repo), opts);
  return { name: r.name, sha: r.sha, baseline: r.baseline, ref: r.ref };
}

/** One row of `compareExperiments`. */
export interface ExperimentRow {
  /** experiment name, branch name, or `workspace`. */
  name: string;
  /** the commit (`workspace` for the workspace). */
  rev: string;
  /** the baseline commit an experiment was run from (undefined for baselines). */
  baseline?: string;
  /** `{file: params}`. */
  params: Record<string, unknown>;
  /** `{file: metrics}`. */
  metrics: Record<string, unknown>;
}

function row(n: ExpNode, baseline?: string): ExperimentRow {
  const files = (m: Record<string, { data?: unknown }>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.data]));
  return {
    name: n.name ?? n.rev,
    rev: n.rev,
    ...(baseline ? { baseline } : {}),
    params: files(n.data.params),
    metrics: files(n.data.metrics),
  };
}

/**
 * `cairn exp show` as rows: the workspace, HEAD, and HEAD's experiments with
 * their params and metrics, ready to compare.
 *
 * @example
 * ```ts ignore
 * import { compareExperiments, openRepo } from "@cairn/cairn";
 * for (const r of compareExperiments(openRepo("."))) {
 *   console.log(r.name, r.params["params.yaml"], r.metrics["metrics.json"]);
 * }
 * ```
 */
export function compareExperiments(
  repo: Repo,
  opts: { revs?: string[]; allBranches?: boolean } = {},
): ExperimentRow[] {
  const rows: ExperimentRow[] = [];
  for (const n of showExperiments(impl(repo), opts)) {
    rows.push(row(n));
    for (const group of n.experiments ?? []) {
      for (const e of group.revs) rows.push(row(e, n.rev));
    }
  }
  return rows;
}

/**
 * The names of HEAD's experiments (and of other baselines').
 *
 * @example
 * ```ts ignore
 * import { listExperiments, openRepo } from "@cairn/cairn";
 * console.log(listExperiments(openRepo(".")).map((e) => e.name));
 * ```
 */
export function listExperiments(repo: Repo): ExperimentInfo[] {
  return listExpRefs(impl(repo)).map((e) => ({
    name: e.name,
    sha: e.sha,
    baseline: e.baseline,
    ref: e.ref,
  }));
}

/**
 * `cairn exp apply`: bring an experiment's results into the workspace.
 *
 * @example
 * ```ts ignore
 * import { applyExperiment, openRepo } from "@cairn/cairn";
 * await applyExperiment(openRepo("."), "slow");
 * ```
 */
export async function applyExperiment(repo: Repo, name: string): Promise<ExperimentInfo> {
  const e = await applyImpl(impl(repo), name);
  return { name: e.name, sha: e.sha, baseline: e.baseline, ref: e.ref };
}

/**
 * `cairn exp remove`: delete experiments (their data stays in the cache until gc).
 *
 * @example
 * ```ts ignore
 * import { openRepo, removeExperiments } from "@cairn/cairn";
 * removeExperiments(openRepo("."), ["slow"]);
 * ```
 */
export function removeExperiments(repo: Repo, names: string[]): ExperimentInfo[] {
  return removeImpl(impl(repo), names).map((e) => ({
    name: e.name,
    sha: e.sha,
    baseline: e.baseline,
    ref: e.ref,
  }));
}
