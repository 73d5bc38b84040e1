/**
 * `.dir` listings (spec §5.3): the exact bytes DVC writes for a directory
 * object, its hash, and parsing them back.
 */
import { CairnError } from "../errors.ts";
import { md5Bytes } from "./md5.ts";

/** One file of a directory output. `relpath` is posix, relative to the directory. */
export interface DirEntry {
  relpath: string;
  md5: string;
  /** known when built from the workspace; not part of the `.dir` bytes. */
  size?: number;
  isexec?: boolean;
}

/**
 * Compare by Unicode code point (Python str order). JS `<` compares UTF-16
 * units, which puts astral chars (surrogates 0xD800-0xDFFF) before
 * U+E000..U+FFFF; fix up only that case.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/** Sort entries in place by relpath, code point order (DVC's order). */
export function sortListing<T extends { relpath: string }>(entries: T[]): T[] {
  return entries.sort((p, q) => compareCodePoints(p.relpath, q.relpath));
}

const HEX = "0123456789abcdef";

/** Python json.dumps string literal with ensure_ascii=True. */
function pyJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i);
    start = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x0c:
        out += "\\f";
        break;
      default:
        out += "\\u" + HEX[(c >> 12) & 15] + HEX[(c >> 8) & 15] +
          HEX[(c >> 4) & 15] + HEX[c & 15];
    }
  }
  return out + s.slice(start) + '"';
}

/**
 * The `.dir` object text: `json.dumps(sorted listing, sort_keys=True)` with
 * only `md5` and `relpath` keys. Entries must already be sorted.
 */
export function serializeListing(entries: readonly DirEntry[]): string {
  const parts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    parts[i] = `{"md5": ${pyJsonString(e.md5)}, "relpath": ${pyJsonString(e.relpath)}}`;
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

/** Sort (in place), serialize and hash a listing. */
export function buildDirObject(entries: DirEntry[]): DirObject {
  sortListing(entries);
  const text = serializeListing(entries);
  const bytes = new TextEncoder().encode(text);
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
    throw new CairnError(`${what} is not valid JSON`, { cause: err });
  }
  if (!Array.isArray(raw)) throw new CairnError(`${what} is not a list`);
  const out: DirEntry[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const e = raw[i] as Record<string, unknown> | null;
    if (
      !e || typeof e.md5 !== "string" || typeof e.relpath !== "string"
    ) throw new CairnError(`${what} has a malformed entry at index ${i}`);
    out[i] = { md5: e.md5, relpath: e.relpath };
  }
  return out;
}
