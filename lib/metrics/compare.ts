/**
 * Comparing metrics or params of two revisions (DVC `dvc/utils/diff.py`):
 * per file, flattened keys; a row when the values differ (all rows with
 * `withUnchanged`); `diff` = new - old when both are numbers (bools count
 * as ints, as in Python).
 */
import { isPlainMapping, isPyFloat, pyEquals, pyFloat, toNumber } from "../py/value.ts";
import { parsePyJson } from "../py/json_loads.ts";
import { DvcFileSyntaxError } from "../errors.ts";
import { pyStr } from "../py/format.ts";
import { flatten, formatDict } from "./flatten.ts";

export interface ValueChange {
  old: unknown;
  new: unknown;
  /** present only when both sides are numeric. */
  diff?: unknown;
}

/** file -> key -> change (files and keys sorted by name). */
export type DiffData = Record<string, Record<string, ValueChange>>;

/** The data of one file at one revision (undefined = absent or unreadable). */
export type FileData = Record<string, { data?: unknown }>;

export interface CompareOptions {
  withUnchanged?: boolean;
}

function isNumeric(v: unknown): boolean {
  return typeof v === "boolean" || toNumber(v) !== undefined;
}

/** Python `new - old` for ints, floats and bools. */
export function pySub(newV: unknown, oldV: unknown): unknown {
  const n = typeof newV === "boolean" ? Number(newV) : newV;
  const o = typeof oldV === "boolean" ? Number(oldV) : oldV;
  if (isPyFloat(n) || isPyFloat(o)) return pyFloat(toNumber(n)! - toNumber(o)!);
  if (typeof n === "bigint" || typeof o === "bigint") {
    const r = BigInt(n as number | bigint) - BigInt(o as number | bigint);
    return r >= BigInt(Number.MIN_SAFE_INTEGER) && r <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(r)
      : r;
  }
  return (n as number) - (o as number);
}

/** `_diff_vals`: undefined when unchanged and unchanged values are not wanted. */
export function diffValues(
  oldV: unknown,
  newV: unknown,
  opts: CompareOptions = {},
): ValueChange | undefined {
  if (Array.isArray(oldV) && Array.isArray(newV) && oldV.length === 1 && newV.length === 1) {
    return diffValues(oldV[0], newV[0], opts);
  }
  const o = oldV === undefined ? null : oldV;
  const n = newV === undefined ? null : newV;
  if (!opts.withUnchanged && pyEquals(o, n)) return undefined;
  const res: ValueChange = { old: o, new: n };
  if (o !== null && n !== null && isNumeric(o) && isNumeric(n)) res.diff = pySub(n, o);
  return res;
}

/** Python truthiness. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === "") return false;
  const num = toNumber(v);
  if (num !== undefined) return num !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainMapping(v)) return Object.keys(v).length > 0;
  return true;
}

/** `_parse`: a string file value is read as JSON when it is JSON. */
function parseRaw(raw: unknown): unknown {
  if (typeof raw !== "string") return raw;
  try {
    return parsePyJson(raw, "<metric>");
  } catch (err) {
    if (!(err instanceof DvcFileSyntaxError)) throw err;
    return raw; // not JSON: the string itself
  }
}

const UNPARSABLE = "unable to parse";

function flatOrDefault(d: unknown): { map: Record<string, unknown>; dflt: unknown } {
  if (!truthy(d)) return { map: {}, dflt: null };
  if (isPlainMapping(d)) return { map: flatten(d), dflt: null };
  return { map: {}, dflt: UNPARSABLE };
}

/** Compare one file's data (`_diff`). Keys sorted. */
export function diffFileData(
  oldRaw: unknown,
  newRaw: unknown,
  opts: CompareOptions = {},
): Record<string, ValueChange> {
  const oldV = parseRaw(oldRaw);
  const newV = parseRaw(newRaw);
  const res: Record<string, ValueChange> = {};
  if (isPlainMapping(oldV) || isPlainMapping(newV)) {
    const o = flatOrDefault(oldV);
    const n = flatOrDefault(newV);
    const keys = [...new Set([...Object.keys(o.map), ...Object.keys(n.map)])].sort();
    for (const k of keys) {
      const ov = Object.hasOwn(o.map, k) ? o.map[k] : o.dflt;
      const nv = Object.hasOwn(n.map, k) ? n.map[k] : n.dflt;
      const d = diffValues(ov, nv, opts);
      if (d) res[k] = d;
    }
    return res;
  }
  const d = diffValues(oldV, newV, opts);
  if (d) res[""] = d;
  return res;
}

/**
 * Compare every file of two revisions (`diff(format_dict(old), format_dict(new))`).
 * Files that failed to load count as empty.
 */
export function diffRevisionData(
  oldFiles: FileData,
  newFiles: FileData,
  opts: CompareOptions = {},
): DiffData {
  const fmt = (d: unknown) => (isPlainMapping(d) ? formatDict(d) : Array.isArray(d) ? pyStr(d) : d);
  const paths = [...new Set([...Object.keys(oldFiles), ...Object.keys(newFiles)])].sort();
  const out: DiffData = {};
  for (const p of paths) {
    const o = oldFiles[p]?.data;
    const n = newFiles[p]?.data;
    const d = diffFileData(o === undefined ? {} : fmt(o), n === undefined ? {} : fmt(n), opts);
    if (Object.keys(d).length) out[p] = d;
  }
  return out;
}
