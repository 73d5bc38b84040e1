/**
 * `.dir` listings (spec §5.3): the exact bytes DVC writes for a directory
 * object, its hash, and parsing them back.
 */
import { CairnError } from "../errors.ts";
import { compareCodePoints, jsonString } from "../py/canonical_json.ts";
import { md5Bytes } from "./md5.ts";

export { compareCodePoints };

/** One file of a directory output. `relpath` is posix, relative to the directory. */
export interface DirEntry {
  relpath: string;
  md5: string;
  /** known when built from the workspace; not part of the `.dir` bytes. */
  size?: number;
  isexec?: boolean;
}

/** Sort entries in place by relpath, code point order (DVC's order). */
export function sortListing<T extends { relpath: string }>(entries: T[]): T[] {
  const cmp = pathComparator(entries.map((e) => e.relpath));
  return entries.sort((p, q) => cmp(p.relpath, q.relpath));
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * Code point order for these strings. Without astral chars (surrogates)
 * UTF-16 order is code point order, so the plain (faster) comparison is used.
 */
export function pathComparator(
  strings: readonly string[],
): (a: string, b: string) => number {
  return pathComparatorBy(strings, (s) => s);
}

/** `pathComparator` of `key` of each item, without an array of the keys. */
export function pathComparatorBy<T>(
  items: readonly T[],
  key: (item: T) => string,
): (a: string, b: string) => number {
  for (let i = 0; i < items.length; i++) {
    if (SURROGATE.test(key(items[i]))) return compareCodePoints;
  }
  return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The `.dir` object text: `json.dumps(sorted listing, sort_keys=True)` with
 * only `md5` and `relpath` keys. Entries must already be sorted. Same bytes
 * as `canonicalJson(listing)`, written directly because listings reach 100k
 * entries.
 */
export function serializeListing(entries: readonly DirEntry[]): string {
  const parts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    parts[i] = `{"md5": ${jsonString(e.md5)}, "relpath": ${jsonString(e.relpath)}}`;
  }
  return "[" + parts.join(", ") + "]";
}

export interface DirObject {
  /** `<md5>.dir` */
  md5: string;
  /** exact bytes of the `.dir` object */
  bytes: Uint8Array;
  nfiles: number;
  /** sum of entry sizes when every entry has one */
  size?: number;
}

/**
 * `serializeListing(entries)` as bytes, written straight into one buffer: at
 * 1M entries the per-entry strings, their join and its encoding held ~250 MB
 * at once. The text is ASCII (jsonString escapes the rest), one byte a char.
 */
export function serializeListingBytes(entries: readonly DirEntry[]): Uint8Array {
  const enc = new TextEncoder();
  // Exact size when nothing needs escaping (then no copy at the end: at 1M
  // entries that copy was 70 MB more at the peak): `{"md5": "", "relpath": ""}`
  // is 26 chars; the n - 1 ", " between entries and the two brackets add 2 per entry.
  let cap = entries.length === 0 ? 2 : 0;
  for (const e of entries) cap += e.md5.length + e.relpath.length + 28;
  let buf = new Uint8Array(cap);
  let len = 0;
  const put = (s: string) => {
    if (len + s.length > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, len + s.length));
      bigger.set(buf.subarray(0, len));
      buf = bigger;
    }
    len += enc.encodeInto(s, buf.subarray(len)).written;
  };
  put("[");
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    put(`${i ? ", " : ""}{"md5": ${jsonString(e.md5)}, "relpath": ${jsonString(e.relpath)}}`);
  }
  put("]");
  return len === buf.length ? buf : buf.slice(0, len);
}

/**
 * Sort (in place, unless `sorted` says the caller already did), serialize
 * and hash a listing.
 */
export function buildDirObject(entries: DirEntry[], opts: { sorted?: boolean } = {}): DirObject {
  if (!opts.sorted) sortListing(entries);
  const bytes = serializeListingBytes(entries);
  let size: number | undefined = 0;
  for (const e of entries) {
    if (e.size === undefined) {
      size = undefined;
      break;
    }
    size += e.size;
  }
  return {
    md5: md5Bytes(bytes) + ".dir",
    bytes,
    nfiles: entries.length,
    size,
  };
}

/** A `.dir` listing that is not DVC's JSON list of `{md5, relpath}` entries. */
export class DirListingError extends CairnError {}

/** Parse `.dir` object bytes (DVC 2 and 3 write the same shape). */
export function parseListing(
  bytes: Uint8Array | string,
  what = ".dir object",
): DirEntry[] {
  const text = typeof bytes === "string" ? bytes : new TextDecoder().decode(bytes);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new DirListingError(`${what} is not valid JSON`, { cause: err });
  }
  if (!Array.isArray(raw)) throw new DirListingError(`${what} is not a list`);
  const out: DirEntry[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as Record<string, unknown> | null;
    if (
      !e || typeof e.md5 !== "string" || typeof e.relpath !== "string"
    ) throw new DirListingError(`${what} has a malformed entry at index ${i}`);
    // the md5 becomes a cache path: only an md5 is one (listings come from remotes)
    if (!/^[0-9a-f]{32}$/.test(e.md5)) {
      throw new DirListingError(
        `${what} has an invalid md5 at index ${i}: '${e.md5.slice(0, 40)}'`,
      );
    }
    out[i] = { md5: e.md5, relpath: e.relpath };
  }
  return out;
}
