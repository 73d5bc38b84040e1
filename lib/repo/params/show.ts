/**
 * The params of a revision as `params diff` sees them (dvc-spec §11): the
 * params dependencies of every stage (their keys), the top-level `params:`
 * files of each dvc.yaml and `params.yaml` at the root (whole files), and
 * the values stages took from other files through `${}` ("tracked vars").
 */
import { posix } from "node:path";
import { CairnError } from "../../errors.ts";
import type { Repo } from "../repo.ts";
import {
  openRevision,
  type RevisionView,
  selectRevisions,
  type SelectRevisionsOptions,
  stageOutPath,
} from "../revisions.ts";
import {
  expandPaths,
  type FileResult,
  hideWorkspace,
  MetricFileNotFoundError,
  type RevisionResult,
  type ShowResult,
  targetPaths,
} from "../metrics/show.ts";
import { isPlainMapping, setKeyOrder } from "../../py/value.ts";
import { getParam, parseParams } from "../../params/load.ts";

export const DEFAULT_PARAMS_FILE = "params.yaml";

export interface ParamsAtOptions {
  /** repo-relative files; replace the collected ones (whole files). */
  targets?: string[];
  /** only the params stages depend on (no top-level files, no params.yaml). */
  depsOnly?: boolean;
}

/** file -> keys to read (empty = the whole file), DVC `_merge_params`. */
export function collectParamFiles(
  view: RevisionView,
  opts: ParamsAtOptions = {},
): Map<string, string[]> {
  const items: [string, string[]][] = [];
  const targets = opts.targets ?? [];
  for (const t of targets) items.push([t, []]);
  if (!targets.length) {
    for (const stage of view.index().stages) {
      for (const p of stage.params) items.push([stageOutPath(stage, p.file), p.keys ?? []]);
    }
    if (!opts.depsOnly) {
      for (const pf of view.index().pipelineFiles) {
        const dir = posix.dirname(pf.file);
        for (const f of pf.params) items.push([posix.normalize(posix.join(dir, f)), []]);
      }
      if (view.exists(DEFAULT_PARAMS_FILE)) items.push([DEFAULT_PARAMS_FILE, []]);
    }
  }
  const whole = new Set(items.filter(([, keys]) => keys.length === 0).map(([f]) => f));
  const merged = new Map<string, string[]>();
  for (const [f, keys] of items) {
    const cur = merged.get(f) ?? [];
    if (!whole.has(f)) { for (const k of keys) if (!cur.includes(k)) cur.push(k); }
    merged.set(f, cur);
  }
  const out = new Map<string, string[]>();
  for (const [f, keys] of merged) {
    for (const p of expandPaths(view, [f])) out.set(p, keys);
  }
  return out;
}

/** `read_param_file`: the whole data, or only `keys` kept at their nested place. */
export function selectKeys(data: unknown, keys: string[]): unknown {
  if (!keys.length) return data;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const hit = getParam(data, key);
    if (!hit.found) continue;
    const segs = key.split(".");
    let cur = out;
    for (const s of segs.slice(0, -1)) {
      if (!isPlainMapping(cur[s])) cur[s] = {};
      cur = cur[s] as Record<string, unknown>;
    }
    cur[segs[segs.length - 1]] = hit.value;
  }
  return out;
}

const dec = new TextDecoder();

function readParamFile(view: RevisionView, path: string, keys: string[]): FileResult {
  const r = view.read(path);
  if (r.status === "missing") return { missing: { md5: r.md5, output: r.output } };
  if (r.status === "not-found") return { error: new MetricFileNotFoundError(path) };
  if (r.status === "dir") return { error: new CairnError(`'${path}' is a directory`) };
  try {
    return { data: selectKeys(parseParams(dec.decode(r.bytes), path), keys) };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Params of one revision. */
export function paramsAt(view: RevisionView, opts: ParamsAtOptions = {}): RevisionResult {
  try {
    const data: Record<string, FileResult> = {};
    for (const [p, keys] of collectParamFiles(view, opts)) data[p] = readParamFile(view, p, keys);
    if (!opts.targets?.length) {
      const vars: Record<string, Record<string, unknown>> = {};
      for (const pf of view.index().pipelineFiles) {
        for (const tracked of Object.values(pf.trackedVars)) {
          for (const [file, values] of Object.entries(tracked)) {
            const p = posix.normalize(file);
            if (Object.hasOwn(data, p)) continue;
            Object.assign(vars[p] ??= setKeyOrder({}, []), values);
          }
        }
      }
      for (const [p, values] of Object.entries(vars)) data[p] = { data: { ...values } };
    }
    return { data };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

export interface ShowParamsOptions extends SelectRevisionsOptions {
  /** user paths (relative to `repo.cwd`). */
  targets?: string[];
  depsOnly?: boolean;
  hideWorkspace?: boolean;
}

/** Params of the selected revisions (the data behind `exp show`-style views). */
export function showParams(repo: Repo, opts: ShowParamsOptions = {}): ShowResult {
  const targets = targetPaths(repo, opts.targets ?? []);
  const res: ShowResult = {};
  for (const rev of selectRevisions(repo, opts)) {
    res[rev.key] = paramsAt(openRevision(repo, rev), { targets, depsOnly: opts.depsOnly });
  }
  if (opts.hideWorkspace !== false) hideWorkspace(repo, res);
  return res;
}
