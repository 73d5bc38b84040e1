/**
 * Local status of stages and `.dvc` files (dvc-spec §10.1/§10.2): per
 * dependency, params key and output whether it is `modified`, `deleted`,
 * `new` or `not in cache`, plus `changed command` / `changed checksum` /
 * `always changed`, in DVC's nesting and wording. `stageChanged` is the
 * short-circuiting form `repro` uses to decide whether to run a stage.
 */
import { isUrl, relative, resolve } from "../path.ts";
import { cacheContext } from "./cache_context.ts";
import {
  collectStages,
  collectTargets,
  isStageFile,
  PROJECT_FILE,
  stageAbsPath,
  stagePath,
} from "./collect.ts";
import { displayPath, type Repo, repoRelative } from "./repo.ts";
import { ObjectStore } from "../cache/object_store.ts";
import type { CacheContext } from "../cache/types.ts";
import { computeStageMd5 } from "../dvcfile/dvc_file.ts";
import { hashPathInfo } from "../hash/hash_path.ts";
import { md5FileDos2Unix } from "../hash/md5.ts";
import { loadParamsFile, selectParams } from "../params/load.ts";
import { isPlainMapping, pyEquals } from "../py/value.ts";
import type { Dependency, HashInfo, Output, ParamDependency, Stage } from "../stage/types.ts";
import { stageAddress } from "../stage/types.ts";
import { ignoreNotFound } from "../errors.ts";
import { span } from "../trace.ts";
import { exists } from "../fs/stat_or_null.ts";

export type EntryStatus = "modified" | "deleted" | "new" | "not in cache" | "update available";

/** `{path: status}` or, for a params file, `{path: {key: status}}` (or `{path: "deleted"}`). */
export type ChangedMap = Record<string, EntryStatus | Record<string, EntryStatus>>;

export type StatusItem =
  | { "changed deps": ChangedMap }
  | { "changed outs": ChangedMap }
  | "always changed"
  | "changed command"
  | "changed checksum";

export interface StageStatus {
  stage: Stage;
  /** DVC addressing relative to the user's cwd (`train`, `sub/dvc.yaml:train`, `x.dvc`). */
  address: string;
  items: StatusItem[];
}

export interface StatusResult {
  /** changed stages only, in collection order. */
  stages: StageStatus[];
  /** frozen stages looked at (DVC warns that their deps are not shown). */
  frozen: Stage[];
  /** no stage at all in the repo. */
  empty: boolean;
}

export interface StatusOptions {
  /** include the upstream of targets (`--with-deps`). */
  withDeps?: boolean;
  recursive?: boolean;
}

/** DVC addressing of `stage`, relative to the user's cwd. */
export function addressing(repo: Repo, stage: Stage): string {
  const rel = relative(repo.cwd, `${repo.root}/${stage.file}`).split("\\").join("/");
  if (stage.kind === "dvcfile") return rel;
  if (rel === PROJECT_FILE) return stage.name;
  return `${rel}:${stage.name}`;
}

/** Shared per-call caches (params files read once, cache store). */
export class StatusContext {
  readonly cache: CacheContext;
  readonly store: ObjectStore;
  #params = new Map<string, unknown>();
  #dirOk = new Map<string, boolean>();
  constructor(readonly repo: Repo) {
    this.cache = cacheContext(repo);
    this.store = new ObjectStore(this.cache.cacheDir, { shared: this.cache.shared });
  }

  /** Parsed params file (undefined = missing). Cached for the call. */
  params(abs: string, display: string): unknown {
    if (this.#params.has(abs)) return this.#params.get(abs);
    let data: unknown;
    try {
      Deno.statSync(abs);
      data = loadParamsFile(abs, display);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      data = undefined;
    }
    this.#params.set(abs, data);
    return data;
  }

  forget(abs: string): void {
    this.#params.delete(abs);
  }

  /** Is the object (and for `.dir`, every file of it) in the cache? */
  inCache(hash: HashInfo): boolean {
    const legacy = hash.hashName !== "md5";
    if (!hash.md5.endsWith(".dir")) return this.store.has(hash.md5, { legacy });
    const key = `${legacy ? "l" : "m"}${hash.md5}`;
    const known = this.#dirOk.get(key);
    if (known !== undefined) return known;
    const ok = span("objects in cache", () => this.#dirInCache(hash.md5, legacy));
    this.#dirOk.set(key, ok);
    return ok;
  }

  #dirInCache(md5: string, legacy: boolean): boolean {
    try {
      return this.store.hasAllObjects(md5, { legacy, state: this.cache.state });
    } catch {
      return false; // unreadable or malformed .dir
    }
  }
}

/** Current hash of a workspace path compared with the recorded one. */
async function differs(ctx: StatusContext, abs: string, recorded: HashInfo | undefined) {
  if (!recorded) return true;
  if (recorded.hashName !== "md5" && !recorded.md5.endsWith(".dir")) {
    // DVC 2.x entry: compare with its legacy dos2unix hash.
    try {
      if (Deno.statSync(abs).isFile) return md5FileDos2Unix(abs) !== recorded.md5;
    } catch (err) {
      ignoreNotFound(err); // fall through
    }
  }
  const h = await hashPathInfo(abs, {
    state: ctx.cache.state,
    ignore: ctx.cache.ignore,
    expectFiles: recorded.nfiles,
  });
  return h.md5 !== recorded.md5;
}

function ignored(ctx: StatusContext, abs: string): boolean {
  return ctx.cache.ignore?.isIgnored(abs, false) ?? false;
}

/** Status of one dependency (undefined = unchanged). */
export async function depStatus(
  ctx: StatusContext,
  stage: Stage,
  dep: Dependency,
): Promise<EntryStatus | undefined> {
  if (isUrl(dep.path) || dep.repo) return undefined; // external: not checked locally
  const abs = stageAbsPath(ctx.repo, stage, dep.path);
  if (!exists(abs) || ignored(ctx, abs)) return "deleted";
  return (await differs(ctx, abs, dep.hash)) ? "modified" : undefined;
}

/** Status of one output (undefined = unchanged). */
export async function outStatus(
  ctx: StatusContext,
  stage: Stage,
  out: Output,
): Promise<EntryStatus | undefined> {
  if (out.hash && out.cache && !ctx.inCache(out.hash)) return "not in cache";
  const abs = stageAbsPath(ctx.repo, stage, out.path);
  if (!exists(abs) || ignored(ctx, abs)) return "deleted";
  if (await differs(ctx, abs, out.hash)) return "modified";
  return out.hash ? undefined : "new";
}

/**
 * Status of a params dependency: "deleted" (file gone), "new" (no values in
 * dvc.lock for this file, e.g. a stage never run: DVC's empty hash_info) or
 * per-key statuses.
 */
export function paramsStatus(
  ctx: StatusContext,
  stage: Stage,
  p: ParamDependency,
): "deleted" | "new" | Record<string, EntryStatus> | undefined {
  const abs = stageAbsPath(ctx.repo, stage, p.file);
  const data = ctx.params(abs, displayPath(ctx.repo, abs.slice(ctx.repo.root.length + 1)));
  if (data === undefined) return "deleted";
  if (p.values === undefined) return "new";
  const actual = selectParams(data, p.keys) as Record<string, unknown>;
  const info = (isPlainMapping(p.values) ? p.values : {}) as Record<string, unknown>;
  const keys = p.keys ?? [...new Set([...Object.keys(actual), ...Object.keys(info)])];
  const out: Record<string, EntryStatus> = {};
  for (const k of keys) {
    const hasActual = Object.hasOwn(actual, k);
    const hasInfo = Object.hasOwn(info, k);
    if (!hasActual) out[k] = "deleted";
    else if (!hasInfo) out[k] = "new";
    else if (!pyEquals(actual[k], info[k])) out[k] = "modified";
  }
  return Object.keys(out).length ? out : undefined;
}

/** A stage with a command and no deps/params/outs runs every time (DVC "callback"). */
export function isCallback(stage: Stage): boolean {
  return stage.cmd !== undefined && stage.deps.length === 0 && stage.params.length === 0 &&
    stage.outs.length === 0;
}

/** `changed command` (dvc.yaml) / `changed checksum` (.dvc), or undefined. */
export function stageItselfChanged(
  stage: Stage,
): "changed command" | "changed checksum" | undefined {
  if (stage.kind === "pipeline") {
    if (!stage.locked) return undefined;
    return JSON.stringify(stage.lockedCmd) !== JSON.stringify(stage.cmd)
      ? "changed command"
      : undefined;
  }
  return (stage.md5 ?? undefined) !== computeStageMd5(stage) ? "changed checksum" : undefined;
}

function rel(ctx: StatusContext, stage: Stage, path: string): string {
  if (isUrl(path) || path.startsWith("/")) return path;
  const abs = stageAbsPath(ctx.repo, stage, path);
  return relative(ctx.repo.cwd, abs).split("\\").join("/") || ".";
}

/** Every status item of a stage (DVC `Stage.status`). */
export async function stageStatusItems(ctx: StatusContext, stage: Stage): Promise<StatusItem[]> {
  const items: StatusItem[] = [];
  if (!stage.frozen) {
    const deps: ChangedMap = {};
    for (const d of stage.deps) {
      const s = await depStatus(ctx, stage, d);
      if (s) deps[rel(ctx, stage, d.path)] = s;
    }
    for (const p of stage.params) {
      const s = paramsStatus(ctx, stage, p);
      if (s) deps[rel(ctx, stage, p.file)] = s;
    }
    if (Object.keys(deps).length) items.push({ "changed deps": deps });
  } else if (stage.deps.length === 1 && stage.deps[0].repo?.revLock) {
    // DVC checks repo imports for updates even though they are frozen.
    const { importUpdateStatus } = await import("./_import_source.ts");
    const s = importUpdateStatus(ctx.repo, stage);
    if (s) items.push({ "changed deps": s });
  }
  const outs: ChangedMap = {};
  for (const o of stage.outs) {
    const s = await outStatus(ctx, stage, o);
    if (s) outs[rel(ctx, stage, o.path)] = s;
  }
  if (Object.keys(outs).length) items.push({ "changed outs": outs });
  if (stage.alwaysChanged || isCallback(stage)) items.push("always changed");
  const own = stageItselfChanged(stage);
  if (own) items.push(own);
  return items;
}

export interface ChangedOptions {
  /** ignore missing outputs / deleted deps (`repro --allow-missing`). */
  allowMissing?: boolean;
}

/**
 * DVC `Stage.changed`: stage itself, then deps (unless frozen; always true
 * for always_changed/callback stages), then outs; stops at the first change.
 */
export async function stageChanged(
  ctx: StatusContext,
  stage: Stage,
  opts: ChangedOptions = {},
): Promise<boolean> {
  if (stageItselfChanged(stage)) return true;
  if (!stage.frozen) {
    if (stage.alwaysChanged || isCallback(stage)) return true;
    for (const d of stage.deps) {
      const s = await depStatus(ctx, stage, d);
      if (s && !(opts.allowMissing && s === "deleted")) return true;
    }
    for (const p of stage.params) if (paramsStatus(ctx, stage, p)) return true;
  }
  for (const o of stage.outs) {
    const s = await outStatus(ctx, stage, o);
    if (s && !(opts.allowMissing && (s === "deleted" || s === "not in cache"))) return true;
  }
  return false;
}

/** `status` (local): changed stages among the targets (all stages when none). */
export async function status(
  repo: Repo,
  targets: readonly string[] = [],
  opts: StatusOptions = {},
): Promise<StatusResult> {
  const index = collectStages(repo);
  let stages = collectTargets(repo, targets, { defaultAll: true, recursive: opts.recursive });
  if (opts.withDeps && targets.length) {
    const { buildGraph } = await import("../pipeline/graph.ts");
    const { planRepro } = await import("../pipeline/plan.ts");
    const g = buildGraph(index.stages);
    const ids = planRepro(g, stages.map((s) => g.indexOf.get(s)!));
    stages = ids.map((i) => index.stages[i]);
  }
  // DVC `collect_granular`: a target naming an output shows only that output
  const only = new Map<Stage, Set<string>>();
  if (!opts.withDeps) {
    for (const t of targets) {
      let rel: string;
      try {
        rel = repoRelative(repo, resolve(repo.cwd, t.replace(/\/+$/, "")));
      } catch {
        continue;
      }
      for (const s of stages) {
        const o = s.outs.find((x) => stagePath(s, x.path) === rel);
        if (o && !isStageFileTarget(t)) {
          const set = only.get(s) ?? new Set<string>();
          set.add(o.path);
          only.set(s, set);
        }
      }
    }
  }
  const ctx = new StatusContext(repo);
  const result: StatusResult = { stages: [], frozen: [], empty: index.stages.length === 0 };
  for (const stage of stages) {
    if (stage.frozen) result.frozen.push(stage);
    const keep = only.get(stage);
    const view = keep ? { ...stage, outs: stage.outs.filter((o) => keep.has(o.path)) } : stage;
    const items = await stageStatusItems(ctx, view);
    if (items.length) result.stages.push({ stage, address: addressing(repo, stage), items });
  }
  return result;
}

function isStageFileTarget(t: string): boolean {
  return isStageFile(t) || t.includes(":");
}

/** DVC's `--json` shape: `{address: [items...]}`. */
export function statusJson(result: StatusResult): Record<string, StatusItem[]> {
  const out: Record<string, StatusItem[]> = {};
  for (const s of result.stages) out[s.address] = s.items;
  return out;
}

export { stageAddress };
