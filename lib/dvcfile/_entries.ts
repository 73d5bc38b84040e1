/**
 * Dep/out entries of `.dvc` files and `dvc.lock` <-> the model
 * (lib/stage/types.ts). Key orders follow DVC's `Output.dumpd` (.dvc: hash
 * first, `path` after `hash`) and `to_single_stage_lockfile` (lock: `path`
 * first), dvc-spec §2.3 and §4.
 */
import type { Dependency, HashInfo, Output, OutputKind, RepoDepInfo } from "../stage/types.ts";
import { mapEntries, setKeyOrder } from "../py/value.ts";

type Raw = Record<string, unknown>;

/** Build an object whose key order is exactly the insertion order (also for "0"-like keys). */
export function ordered(entries: [string, unknown][]): Raw {
  const obj: Raw = {};
  for (const [k, v] of entries) obj[k] = v;
  return setKeyOrder(obj, entries.map(([k]) => k));
}

/** Ordered entries of an object as string-keyed pairs. */
export function entriesOf(obj: object): [string, unknown][] {
  return mapEntries(obj).map(([k, v]) => [String(k), v]);
}

/** Read the hash part of an entry; undefined if it has no md5. */
export function hashFromRaw(raw: Raw): HashInfo | undefined {
  const md5 = raw.md5;
  if (md5 === undefined || md5 === null || md5 === "") return undefined;
  const h: HashInfo = { md5: String(md5).toLowerCase() };
  if (typeof raw.size === "number") h.size = raw.size;
  if (typeof raw.nfiles === "number") h.nfiles = raw.nfiles;
  if (raw.isexec === true) h.isexec = true;
  if (raw.hash === "md5") h.hashName = "md5";
  return h;
}

const HASH_KEYS = new Set(["md5", "size", "nfiles", "isexec", "hash"]);
const ANNOTATIONS = ["desc", "type", "labels", "meta"] as const;
const OUT_FLAG_KEYS = new Set([
  ...ANNOTATIONS,
  "cache",
  "metric",
  "plot",
  "persist",
  "remote",
  "push",
]);

function extraOf(raw: Raw, skip: Set<string>): Raw | undefined {
  const extra = entriesOf(raw).filter(([k]) => !skip.has(k) && k !== "path");
  return extra.length ? ordered(extra) : undefined;
}

/** An `outs` entry of a `.dvc` file or of dvc.lock. */
export function outFromEntry(raw: Raw): Output {
  const metric = raw.metric;
  const plot = raw.plot;
  const kind: OutputKind = plot ? "plot" : metric ? "metric" : "out";
  const out: Output = {
    path: String(raw.path),
    kind,
    cache: raw.cache !== false,
    persist: raw.persist === true,
    push: raw.push !== false,
  };
  if (typeof raw.remote === "string") out.remote = raw.remote;
  if (typeof raw.desc === "string") out.desc = raw.desc;
  if (typeof raw.type === "string") out.type = raw.type;
  if (Array.isArray(raw.labels)) out.labels = raw.labels.map(String);
  if (raw.meta !== undefined) out.meta = raw.meta;
  if (plot && typeof plot === "object") {
    out.plotProps = plot as Record<string, unknown>;
  }
  const hash = hashFromRaw(raw);
  if (hash) out.hash = hash;
  const skip = new Set([...HASH_KEYS, ...OUT_FLAG_KEYS]);
  // a metric given as a mapping (DVC 1.x `{type, xpath}`) is kept verbatim.
  if (metric && typeof metric === "object") skip.delete("metric");
  const extra = extraOf(raw, skip);
  if (extra) out.extra = extra;
  return out;
}

/** A `deps` entry of a `.dvc` file or of dvc.lock. */
export function depFromEntry(raw: Raw): Dependency {
  const dep: Dependency = { path: String(raw.path) };
  const hash = hashFromRaw(raw);
  if (hash) dep.hash = hash;
  const repo = raw.repo;
  if (repo && typeof repo === "object" && !Array.isArray(repo)) {
    const r = repo as Raw;
    const info: RepoDepInfo = { url: String(r.url) };
    if (r.rev !== undefined && r.rev !== null) info.rev = String(r.rev);
    if (r.rev_lock !== undefined && r.rev_lock !== null) {
      info.revLock = String(r.rev_lock);
    }
    if (r.config !== undefined) info.config = r.config;
    if (r.remote !== undefined) info.remote = r.remote;
    dep.repo = info;
  }
  const extra = extraOf(raw, new Set([...HASH_KEYS, "repo"]));
  if (extra) dep.extra = extra;
  return dep;
}

function hashPart(h: HashInfo | undefined): [string, unknown][] {
  if (!h) return [];
  const e: [string, unknown][] = [["md5", h.md5]];
  if (h.size !== undefined) e.push(["size", h.size]);
  if (h.nfiles !== undefined) e.push(["nfiles", h.nfiles]);
  if (h.isexec) e.push(["isexec", true]);
  return e;
}

// Extra keys DVC writes inside the hash/meta part, in its order.
const META_EXTRA = ["etag", "checksum", "version_id", "cloud"];

function take(extra: Raw | undefined, keys: string[]): [string, unknown][] {
  if (!extra) return [];
  return keys.filter((k) => Object.hasOwn(extra, k)).map((k) => [k, extra[k]]);
}

function rest(extra: Raw | undefined, used: string[]): [string, unknown][] {
  if (!extra) return [];
  return entriesOf(extra).filter(([k]) => !used.includes(k));
}

/** True unless the entry is a DVC 2.x one (md5 without `hash: md5`). */
function isDvc3(h: HashInfo | undefined): boolean {
  return !h || h.hashName === "md5";
}

function annotationPart(o: Output): [string, unknown][] {
  const e: [string, unknown][] = [];
  if (o.desc) e.push(["desc", o.desc]);
  if (o.type) e.push(["type", o.type]);
  if (o.labels?.length) e.push(["labels", o.labels]);
  if (o.meta !== undefined && o.meta !== null) e.push(["meta", o.meta]);
  return e;
}

/** `Output.dumpd` for a `.dvc` file. */
export function dvcOutEntry(o: Output): Raw {
  const e: [string, unknown][] = [
    ...hashPart(o.hash),
    ...take(o.extra, META_EXTRA),
  ];
  if (isDvc3(o.hash)) e.push(["hash", "md5"]);
  e.push(["path", o.path]);
  e.push(...take(o.extra, ["fs_config"]));
  e.push(...annotationPart(o));
  if (!o.cache) e.push(["cache", false]);
  const metric = o.extra?.metric;
  if (metric !== undefined) e.push(["metric", metric]);
  else if (o.kind === "metric") e.push(["metric", true]);
  if (o.kind === "plot") {
    e.push(["plot", o.plotProps && mapEntries(o.plotProps).length ? o.plotProps : true]);
  }
  if (o.persist) e.push(["persist", true]);
  if (o.remote) e.push(["remote", o.remote]);
  if (!o.push) e.push(["push", false]);
  const used = [...META_EXTRA, "fs_config", "metric"];
  e.push(...take(o.extra, ["files"]), ...rest(o.extra, [...used, "files"]));
  return ordered(e);
}

function repoPart(r: RepoDepInfo): Raw {
  const e: [string, unknown][] = [["url", r.url]];
  if (r.rev !== undefined) e.push(["rev", r.rev]);
  if (r.revLock !== undefined) e.push(["rev_lock", r.revLock]);
  if (r.config !== undefined) e.push(["config", r.config]);
  if (r.remote !== undefined) e.push(["remote", r.remote]);
  return ordered(e);
}

/** `Dependency.dumpd` for a `.dvc` file. */
export function dvcDepEntry(d: Dependency): Raw {
  if (d.repo) {
    return ordered([
      ["path", d.path],
      ["repo", repoPart(d.repo)],
      ...rest(d.extra, []),
    ]);
  }
  const e: [string, unknown][] = [
    ...hashPart(d.hash),
    ...take(d.extra, META_EXTRA),
  ];
  if (isDvc3(d.hash)) e.push(["hash", "md5"]);
  e.push(["path", d.path]);
  e.push(...take(d.extra, ["fs_config", "files"]));
  e.push(...rest(d.extra, [...META_EXTRA, "fs_config", "files"]));
  return ordered(e);
}

/** A dep/out entry of dvc.lock (`to_single_stage_lockfile._dumpd`). */
export function lockItemEntry(item: Dependency | Output): Raw {
  const extra = item.extra;
  if (extra && Object.hasOwn(extra, "dataset")) {
    return ordered([["path", item.path], ...rest(extra, [])]);
  }
  const e: [string, unknown][] = [["path", item.path]];
  if (isDvc3(item.hash)) e.push(["hash", "md5"]);
  const h = item.hash;
  if (h) e.push(["md5", h.md5]);
  e.push(...take(extra, ["etag", "checksum"]));
  if (h?.size !== undefined) e.push(["size", h.size]);
  if (h?.nfiles !== undefined) e.push(["nfiles", h.nfiles]);
  if (h?.isexec) e.push(["isexec", true]);
  const used = ["etag", "checksum", "version_id", "cloud", "files"];
  e.push(...take(extra, ["version_id", "cloud", "files"]));
  // Output-only flags never go to the lock.
  e.push(...rest(extra, [...used, "metric", "fs_config"]));
  return ordered(e);
}
