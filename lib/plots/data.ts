/**
 * Plot data files (dvc-spec §13.2): JSON, YAML, TOML, Python and CSV/TSV
 * (`header: false` names the columns `0`, `1`, ...) become a blob from which
 * datapoints are taken; images (`.jpg .jpeg .gif .png .svg`) stay bytes.
 */
import { CairnError } from "../errors.ts";
import { parseParams } from "../params/load.ts";
import { isPlainMapping, keyString, mapEntries, setKeyOrder } from "../py/value.ts";
import { parseSv } from "./sv.ts";

export const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".gif", ".png", ".svg"];
const DATA_EXTENSIONS = [".json", ".yaml", ".yml", ".toml", ".py", ".csv", ".tsv"];

export function extension(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot) : "";
}

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.includes(extension(path));
}

export class PlotMetricTypeError extends CairnError {
  constructor(path: string) {
    super(`'${path}' - file type error\nOnly JSON, YAML, CSV and TSV formats are supported.`);
  }
}

/** Parse a plot data file (not an image). */
export function parsePlotData(
  text: string,
  path: string,
  props: { header?: unknown } = {},
): unknown {
  const ext = extension(path);
  if (!DATA_EXTENSIONS.includes(ext)) throw new PlotMetricTypeError(path);
  if (ext === ".csv" || ext === ".tsv") {
    return parseSv(text, {
      delimiter: ext === ".tsv" ? "\t" : ",",
      header: props.header !== false,
      path,
    });
  }
  return parseParams(text, path);
}

/** Lists found in a blob: the blob itself, or list values of (nested) mappings. */
function* lists(blob: unknown): Generator<unknown[]> {
  if (Array.isArray(blob)) {
    yield blob;
    return;
  }
  if (!isPlainMapping(blob)) return;
  for (const [, v] of mapEntries(blob)) {
    if (isPlainMapping(v)) yield* lists(v);
    else if (Array.isArray(v)) yield v;
  }
}

function keysOf(d: Record<string, unknown>): string[] {
  return mapEntries(d).map(([k]) => keyString(k));
}

/** All items are mappings with the same set of keys. */
function isDatapoints(lst: unknown[]): lst is Record<string, unknown>[] {
  if (!lst.length || !lst.every(isPlainMapping)) return false;
  const first = new Set(keysOf(lst[0] as Record<string, unknown>));
  const all = new Set(lst.flatMap((d) => keysOf(d as Record<string, unknown>)));
  return first.size === all.size && [...all].every((k) => first.has(k));
}

/** Datapoints of a blob: every list of uniform mappings, merged index-wise (DVC `get_datapoints`). */
export function getDatapoints(blob: unknown): Record<string, unknown>[] {
  const result: Record<string, unknown>[] = [];
  for (const lst of lists(blob)) {
    if (!isDatapoints(lst)) continue;
    lst.forEach((d, i) => {
      if (result.length <= i) result.push(setKeyOrder({}, []));
      for (const [k, v] of mapEntries(d)) assignOrdered(result[i], keyString(k), v);
    });
  }
  return result;
}

/** Set `k` on an ordered mapping, keeping first-insertion order like a Python dict. */
export function assignOrdered(d: Record<string, unknown>, k: string, v: unknown): void {
  const order = mapEntries(d).map(([key]) => keyString(key));
  if (!order.includes(k)) order.push(k);
  d[k] = v;
  setKeyOrder(d, order);
}

/** The first list of mappings in a blob (used to infer `y`). */
export function firstRecordList(blob: unknown): Record<string, unknown>[] | undefined {
  for (const lst of lists(blob)) {
    if (lst.every(isPlainMapping)) return lst as Record<string, unknown>[];
  }
  return undefined;
}
