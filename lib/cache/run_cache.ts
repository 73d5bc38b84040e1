/**
 * The run-cache (dvc-spec §8, DVC `dvc/stage/cache.py`), in DVC's layout so
 * both tools share it: `<cache>/runs/<key[:2]>/<key>/<value>`, each file
 * the stage's dvc.lock entry as YAML. key = sha256 of the canonical JSON of
 * the entry with `outs` reduced to their paths; value = sha256 of the full
 * entry; `size` and `nfiles` removed at any depth in both.
 */
import { sha256Hex } from "../hash/sha256.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { canonicalJson } from "../py/canonical_json.ts";
import { emitYaml } from "../py/yaml_emit.ts";
import { loadYaml } from "../py/yaml_parse.ts";
import type { LockEntry } from "../dvcfile/lock_file.ts";
import { isPlainMapping, mapEntries } from "../py/value.ts";
import type { Stage } from "../stage/types.ts";
import { ignoreNotFound } from "../errors.ts";
import { isUrl } from "../path.ts";

const EXCLUDE = new Set(["size", "nfiles"]);

/** DVC `dict_filter` by key name at any depth (keeps key order). */
function withoutSizes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutSizes);
  if (!isPlainMapping(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of mapEntries(v)) {
    if (typeof k === "string" && EXCLUDE.has(k)) continue;
    out[String(k)] = withoutSizes(x);
  }
  return out;
}

function sha256(text: string): string {
  return sha256Hex(text);
}

/** The run-cache key of a lock entry (`_get_stage_hash`). */
export function runCacheKey(entry: LockEntry): string {
  const keyed: Record<string, unknown> = {};
  for (const [k, v] of mapEntries(entry)) {
    const key = String(k);
    keyed[key] = key === "outs" && Array.isArray(v)
      ? v.map((o) => (isPlainMapping(o) ? o.path : o))
      : v;
  }
  return sha256(canonicalJson(withoutSizes(keyed)));
}

/** The run-cache value (file name) of a lock entry (`_get_cache_hash`). */
export function runCacheValue(entry: LockEntry): string {
  return sha256(canonicalJson(withoutSizes(entry)));
}

export function runCacheDir(cacheDir: string, key: string): string {
  return `${cacheDir}/runs/${key.slice(0, 2)}/${key}`;
}

export function runCachePath(cacheDir: string, key: string, value: string): string {
  return `${runCacheDir(cacheDir, key)}/${value}`;
}

/**
 * DVC `_can_hash`: a command, at least one dependency (params count) and
 * one output; not always-changed; every dep local; every output local and
 * not persistent. (Dependency existence is checked by the caller, which
 * hashes them.)
 */
export function canRunCache(stage: Stage): boolean {
  if (stage.alwaysChanged || stage.cmd === undefined) return false;
  if (Array.isArray(stage.cmd) ? stage.cmd.length === 0 : stage.cmd === "") return false;
  if (stage.deps.length + stage.params.length === 0 || stage.outs.length === 0) return false;
  for (const d of stage.deps) if (d.repo || isUrl(d.path)) return false;
  for (const o of stage.outs) {
    if (o.persist || isUrl(o.path) || o.path.startsWith("/")) return false;
  }
  return true;
}

/**
 * DVC saves a run only when no plain output (not a metric/plot) is
 * `cache: false` (its content could not be restored).
 */
export function runCacheSavable(stage: Stage): boolean {
  return canRunCache(stage) && !stage.outs.some((o) => !o.cache && o.kind === "out");
}

export interface SaveRunResult {
  key: string;
  value: string;
  /** false when an identical entry was already there. */
  written: boolean;
}

/**
 * Store `entry` (a lock entry) unless an identical one exists. Atomic (a
 * reader never sees half an entry) but not fsynced, as DVC's: an entry a
 * power loss empties or loses is a miss (loadRun), and the stage runs.
 */
export function saveRun(cacheDir: string, entry: LockEntry): SaveRunResult {
  const key = runCacheKey(entry);
  const value = runCacheValue(entry);
  const path = runCachePath(cacheDir, key, value);
  try {
    Deno.statSync(path);
    return { key, value, written: false };
  } catch (err) {
    ignoreNotFound(err); // not there yet
  }
  writeTextAtomic(path, emitYaml(entry), { mkdirs: true, mode: 0o444, fsync: false });
  return { key, value, written: true };
}

/** The newest entry stored under `key` (by file mtime), or undefined. */
export function loadRun(cacheDir: string, key: string): LockEntry | undefined {
  const dir = runCacheDir(cacheDir, key);
  let best: { path: string; mtime: number } | undefined;
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (!e.isFile || e.name.startsWith(".")) continue;
      const path = `${dir}/${e.name}`;
      const mtime = Deno.statSync(path).mtime?.getTime() ?? 0;
      if (!best || mtime > best.mtime) best = { path, mtime };
    }
  } catch {
    return undefined;
  }
  if (!best) return undefined;
  try {
    const data = loadYaml(Deno.readTextFileSync(best.path), best.path);
    return isPlainMapping(data) ? data as LockEntry : undefined;
  } catch {
    return undefined; // a corrupt entry is a miss, as in DVC
  }
}
