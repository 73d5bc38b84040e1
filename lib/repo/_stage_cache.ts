/**
 * A cache of parsed stage files (`.dvc/tmp/cairn-stages.json`), so a no-op
 * `status` / `repro` on a big pipeline does not re-parse YAML it parsed
 * before. One entry per dvc.yaml / .dvc file, valid while every file its
 * stages were built from (the file, its dvc.lock, params/vars files read
 * for `${}`, and files found missing) keeps its (inode, mtime, size).
 * Python-typed values (PyFloat, bigint, key order) survive the round trip.
 * Being only a cache, it is ignored when unreadable and rebuilt.
 */
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { isPlainMapping, keyString, mapEntries, PyFloat, setKeyOrder } from "../py/value.ts";
import type { Stage } from "../stage/types.ts";
import { VERSION } from "../version.ts";
import { ignoreNotFound } from "../errors.ts";

const FORMAT = 1;
/** A file modified this recently may change again within its mtime tick: not cached. */
const RACY_MS = 1000;

/** [repo-relative path, ino, mtimeMs, size] or [path] for a file that did not exist. */
export type Stamp = [string, number, number, number] | [string];

interface Entry {
  stamps: Stamp[];
  stages: unknown;
}

interface CacheData {
  format: number;
  version: string;
  /** the `parsing` config section it was built with. */
  parsing: string;
  files: Record<string, Entry>;
}

export function stampOf(root: string, rel: string): Stamp {
  try {
    const st = Deno.statSync(`${root}/${rel}`);
    return [rel, st.ino ?? 0, st.mtime?.getTime() ?? 0, st.size];
  } catch (err) {
    ignoreNotFound(err);
    return [rel];
  }
}

function sameStamp(root: string, s: Stamp): boolean {
  const now = stampOf(root, s[0]);
  return now.length === s.length && now.every((v, i) => v === s[i]);
}

// --- Python-typed values <-> JSON -------------------------------------------

function encode(v: unknown): unknown {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (v === undefined) return { $u: 1 };
  if (typeof v === "number") {
    if (Number.isNaN(v)) return { $n: "nan" };
    if (!Number.isFinite(v)) return { $n: v > 0 ? "inf" : "-inf" };
    if (Object.is(v, -0)) return { $n: "-0" };
    return v;
  }
  if (typeof v === "bigint") return { $i: v.toString() };
  if (v instanceof PyFloat) return { $f: encode(v.value) };
  if (Array.isArray(v)) return v.map(encode);
  if (isPlainMapping(v)) {
    return { $m: mapEntries(v).map(([k, x]) => [encode(k), encode(x)]) };
  }
  throw new TypeError("uncacheable value");
}

function decode(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decode);
  const o = v as Record<string, unknown>;
  if ("$m" in o) {
    const obj: Record<string, unknown> = {};
    const keys: unknown[] = [];
    for (const [k, x] of o.$m as [unknown, unknown][]) {
      const key = decode(k);
      keys.push(key);
      const val = decode(x);
      if (val !== undefined) obj[keyString(key)] = val;
      else obj[keyString(key)] = undefined;
    }
    return setKeyOrder(obj, keys);
  }
  if ("$f" in o) return new PyFloat(decode(o.$f) as number);
  if ("$i" in o) return BigInt(o.$i as string);
  if ("$u" in o) return undefined;
  if ("$n" in o) {
    return o.$n === "nan" ? NaN : o.$n === "inf" ? Infinity : o.$n === "-inf" ? -Infinity : -0;
  }
  return v;
}

/** Strip undefined-valued keys of decoded stages (they were absent when parsed). */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (isPlainMapping(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === undefined) delete v[k];
      else clean(v[k]);
    }
  }
  return v;
}

export class StageCache {
  #data: CacheData;
  #dirty = false;
  readonly path: string;

  constructor(readonly root: string, dvcDir: string, readonly parsing: string) {
    this.path = `${dvcDir}/tmp/cairn-stages.json`;
    let data: CacheData | undefined;
    try {
      data = JSON.parse(Deno.readTextFileSync(this.path));
    } catch { /* a cache: none yet, or unreadable in any way, and the files are parsed again */ }
    if (
      !data || data.format !== FORMAT || data.version !== VERSION || data.parsing !== parsing ||
      typeof data.files !== "object"
    ) {
      data = { format: FORMAT, version: VERSION, parsing, files: {} };
    }
    this.#data = data;
  }

  /** Stages of `rel` if its entry is still valid. */
  get(rel: string): Stage[] | undefined {
    const e = this.#data.files[rel];
    if (!e || !e.stamps.every((s) => sameStamp(this.root, s))) return undefined;
    try {
      return clean(decode(e.stages)) as Stage[];
    } catch {
      return undefined; // a cache: an entry that does not decode is parsed again
    }
  }

  /** Remember the stages of `rel`, built from the files stamped. */
  set(rel: string, stamps: Stamp[], stages: Stage[]): void {
    const limit = Date.now() - RACY_MS;
    if (stamps.some((s) => s.length === 4 && s[2] > limit)) {
      if (this.#data.files[rel]) {
        delete this.#data.files[rel];
        this.#dirty = true;
      }
      return;
    }
    let encoded: unknown;
    try {
      encoded = encode(stages);
    } catch {
      return; // a cache: stages it cannot hold are parsed each time
    }
    this.#data.files[rel] = { stamps, stages: encoded };
    this.#dirty = true;
  }

  /** Drop entries of files no longer present. */
  retain(rels: Set<string>): void {
    for (const k of Object.keys(this.#data.files)) {
      if (!rels.has(k)) {
        delete this.#data.files[k];
        this.#dirty = true;
      }
    }
  }

  save(): void {
    if (!this.#dirty) return;
    try {
      writeTextAtomic(this.path, JSON.stringify(this.#data), { mkdirs: true, fsync: false });
    } catch { /* a cache: a read-only or full disk just means no cache */ }
    this.#dirty = false;
  }
}
