/**
 * `metrics show` (dvc-spec §12): the metrics files of each selected
 * revision — every `metrics:` output of every stage and the top-level
 * `metrics:` entries of each dvc.yaml (directories expanded), or the given
 * targets — read through the revision view (git tree / workspace, then the
 * cache for cached outputs).
 */
import { posix, resolve } from "node:path";
import { CairnError } from "../../errors.ts";
import { type Repo, repoRelative } from "../repo.ts";
import {
  activeBranch,
  openRevision,
  type Revision,
  type RevisionView,
  selectRevisions,
  type SelectRevisionsOptions,
  stageOutPath,
} from "../revisions.ts";
import { readMetric } from "../../metrics/read.ts";
import {
  METRIC_SETTINGS_FILE,
  type MetricSettingsMap,
  parseMetricSettings,
} from "../../metrics/settings.ts";

const dec = new TextDecoder("utf-8", { fatal: true });

/** What one file gave at one revision. */
export type FileResult =
  | { data: unknown }
  | { error: Error }
  /** a cached output whose object is not in the local cache. */
  | { missing: { md5: string; output: string } };

/** One revision: its files (repo-relative paths), or why the revision failed. */
export interface RevisionResult {
  data?: Record<string, FileResult>;
  error?: Error;
}

/** revision key -> result, in brancher order. */
export type ShowResult = Record<string, RevisionResult>;

export interface ShowMetricsOptions extends SelectRevisionsOptions {
  /** user paths (relative to `repo.cwd`); replace the declared metrics. */
  targets?: string[];
  /** accepted for DVC compatibility: directories are always searched. */
  recursive?: boolean;
  /** drop the workspace when identical to the active branch (default true). */
  hideWorkspace?: boolean;
}

/** A file that does not exist (DVC reports FileNotFoundError). */
export class MetricFileNotFoundError extends CairnError {
  constructor(path: string) {
    super(`[Errno 2] No such file or directory: '${path}'`);
    this.name = "FileNotFoundError";
  }
}

/** Repo-relative paths of user-given targets. */
export function targetPaths(repo: Repo, targets: string[]): string[] {
  return targets.map((t) => repoRelative(repo, resolve(repo.cwd, t)));
}

/** Expand directories into the files below them, keep order, drop duplicates. */
export function expandPaths(view: RevisionView, paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (view.isDir(p)) { for (const f of view.find(p)) out.push(f); }
    else out.push(p);
  }
  return [...new Set(out)];
}

/** The metrics files of a revision (repo-relative). */
export function collectMetricPaths(
  view: RevisionView,
  targets: string[] = [],
  settings: MetricSettingsMap = {},
): string[] {
  if (targets.length) return expandPaths(view, targets);
  const idx = view.index();
  const paths: string[] = [];
  for (const stage of idx.stages) {
    for (const out of stage.outs) {
      if (out.kind === "metric") paths.push(stageOutPath(stage, out.path));
    }
  }
  for (const pf of idx.pipelineFiles) {
    const dir = posix.dirname(pf.file);
    for (const m of pf.metrics) {
      const p = posix.normalize(posix.join(dir, m));
      paths.push(p === "." ? "" : p);
    }
  }
  // `metrics modify` made these metrics (as DVC 0.x did), wherever they are declared.
  for (const p of Object.keys(settings)) if (view.exists(p)) paths.push(p);
  return expandPaths(view, paths);
}

/**
 * `metrics modify` settings for a revision: its own committed file, else the
 * workspace's (settings made today apply to older revisions too, as DVC 0.x's
 * did once committed with the metric).
 */
export function settingsAt(view: RevisionView): MetricSettingsMap {
  const own = view.readScmText(METRIC_SETTINGS_FILE);
  let settings: MetricSettingsMap;
  if (own !== undefined || view.isWorkspace) settings = parseMetricSettings(own);
  else {
    let text: string | undefined;
    try {
      text = Deno.readTextFileSync(`${view.repo.root}/${METRIC_SETTINGS_FILE}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    settings = parseMetricSettings(text);
  }
  // DVC 0.x: `metric: {type, xpath}` on an output of a legacy stage file, at that revision
  for (const stage of view.index().stages) {
    if (stage.kind !== "dvcfile") continue;
    for (const out of stage.outs) {
      const m = out.extra?.metric;
      if (!m || typeof m !== "object") continue;
      const { type, xpath } = m as { type?: unknown; xpath?: unknown };
      settings[stageOutPath(stage, out.path)] = {
        ...(typeof type === "string" ? { type } : {}),
        ...(typeof xpath === "string" ? { xpath } : {}),
      };
    }
  }
  // settings made since then apply to older revisions too
  if (!view.isWorkspace) {
    for (const [p, m] of Object.entries(settingsAt(openRevision(view.repo)))) {
      settings[p] ??= m;
    }
  }
  return settings;
}

/** Read one metrics file at a revision. */
export function readMetricAt(
  view: RevisionView,
  path: string,
  settings = settingsAt(view),
): FileResult {
  const r = view.read(path);
  if (r.status === "missing") {
    // what DVC's data index says when the object is not in the cache
    const err = r.md5.endsWith(".dir")
      ? new CairnError(
        `failed to load directory (${r.output.split("/").map((p) => `'${p}'`).join(", ")}${
          r.output.includes("/") ? "" : ","
        })`,
      )
      : new CairnError(`[Errno 2] No storage files available: '${path}'`);
    err.name = r.md5.endsWith(".dir") ? "DataIndexDirError" : "FileNotFoundError";
    return { error: err };
  }
  if (r.status === "not-found") return { error: new MetricFileNotFoundError(path) };
  if (r.status === "dir") return { error: new CairnError(`'${path}' is a directory`) };
  let text: string;
  try {
    text = dec.decode(r.bytes);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // the decoder's "not UTF-8"
    return { error: new CairnError(`'${path}' is not valid UTF-8 text`) };
  }
  try {
    return { data: readMetric(text, path, settings[path]) };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Metrics of one revision. */
export function metricsAt(view: RevisionView, targets: string[] = []): RevisionResult {
  try {
    const settings = settingsAt(view);
    const data: Record<string, FileResult> = {};
    for (const p of collectMetricPaths(view, targets, settings)) {
      data[p] = readMetricAt(view, p, settings);
    }
    return { data };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Stable text of a result, to compare revisions. */
function fingerprint(r: RevisionResult | undefined): string {
  return JSON.stringify(
    r,
    (_k, v) =>
      v instanceof Error
        ? { type: v.name, msg: v.message }
        : typeof v === "bigint"
        ? v.toString()
        : v,
  );
}

/** True if a result holds an error anywhere (DVC compares exceptions by identity). */
function hasError(r: RevisionResult): boolean {
  return r.error !== undefined || Object.values(r.data ?? {}).some((f) => "error" in f);
}

/**
 * Drop the workspace when it equals the active branch (DVC `_hide_workspace`:
 * `res.get(active_branch) == res["workspace"]`). Only a key that is exactly
 * the branch name counts (`main,v2` does not), and results with errors never
 * compare equal (exception objects are equal only to themselves).
 */
export function hideWorkspace<T extends RevisionResult>(repo: Repo, res: Record<string, T>): void {
  const branch = activeBranch(repo);
  if (branch === null || !("workspace" in res) || !(branch in res)) return;
  if (hasError(res.workspace) || hasError(res[branch])) return;
  if (fingerprint(res.workspace) === fingerprint(res[branch])) delete res.workspace;
}

/** `metrics show` for the selected revisions. */
export function showMetrics(repo: Repo, opts: ShowMetricsOptions = {}): ShowResult {
  const targets = targetPaths(repo, opts.targets ?? []);
  const res: ShowResult = {};
  for (const rev of selectRevisions(repo, opts)) {
    res[rev.key] = metricsAt(openRevision(repo, rev), targets);
  }
  if (opts.hideWorkspace !== false) hideWorkspace(repo, res);
  return res;
}

/** Metrics of explicit revisions (each given name resolved on its own). */
export function metricsOfRevisions(
  repo: Repo,
  revs: Revision[],
  targets: string[] = [],
): RevisionResult[] {
  return revs.map((rev) => metricsAt(openRevision(repo, rev), targets));
}
