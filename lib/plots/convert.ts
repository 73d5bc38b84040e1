/**
 * From a plot definition and its data files to flat datapoints (DVC's
 * VegaConverter): `x`/`y` inferred when missing (`step` = row index, `y` =
 * last field of the first row), several y sources joined with their x,
 * each datapoint tagged with `rev`, `filename` and `field`.
 */
import { CairnError } from "../errors.ts";
import { isPlainMapping, keyString, mapEntries, setKeyOrder } from "../py/value.ts";
import { assignOrdered, firstRecordList, getDatapoints } from "./data.ts";

export const INDEX_FIELD = "step";
export const REVISION = "rev";
export const FILENAME = "filename";
export const FIELD = "field";

/** Plot properties (YAML names: template, x, y, x_label, y_label, title, header, ...). */
export type PlotProps = Record<string, unknown>;

export type Datapoint = Record<string, unknown>;

export class FieldNotFoundError extends CairnError {
  constructor(field: string, file: string, found: string[]) {
    super(
      `Could not find provided field ('${field}') in data fields ('${
        found.join(", ")
      }') of '${file}'.`,
      { hint: "check the plot's x/y in dvc.yaml (or -x/-y) against the columns of the data file" },
    );
  }
}

/** (file, field) pairs of an axis definition `{file: field | [fields]}`. */
export function fileFields(axis: unknown): [string, string][] {
  const out: [string, string][] = [];
  if (!isPlainMapping(axis)) return out;
  for (const [k, v] of mapEntries(axis)) {
    if (typeof v === "string") out.push([keyString(k), v]);
    else if (Array.isArray(v)) { for (const f of v) out.push([keyString(k), String(f)]); }
  }
  return out;
}

function verifyField(file2dps: Map<string, Datapoint[]>, file: string, field: string): void {
  const dps = file2dps.get(file);
  if (!dps) return;
  const first = dps[0] ?? {};
  if (!Object.hasOwn(first, field)) {
    throw new FieldNotFoundError(field, file, mapEntries(first).map(([k]) => keyString(k)));
  }
}

function inferXY(plotId: string, props: PlotProps, data: Map<string, unknown>): PlotProps {
  const { x, y } = props;
  const inferred: PlotProps = {};
  if (typeof x === "string") {
    const xs: Record<string, unknown> = {};
    if (isPlainMapping(y)) {
      for (const [file, fields] of mapEntries(y)) {
        xs[keyString(file)] = Array.isArray(fields) ? fields.map(() => x) : x;
      }
    } else xs[plotId] = x;
    inferred.x = xs;
  }
  if (y === undefined || y === null) {
    const blob = data.get(plotId);
    const lst = blob === undefined ? undefined : firstRecordList(blob);
    if (lst && lst.length) {
      const keys = mapEntries(lst[0]).map(([k]) => keyString(k));
      inferred.y = keys.length ? { [plotId]: keys[keys.length - 1] } : null;
    } else inferred.y = null;
  } else if (!isPlainMapping(y)) inferred.y = { [plotId]: y };
  return inferred;
}

function inferYLabel(props: PlotProps): string | undefined {
  if (props.y_label !== undefined && props.y_label !== null) return String(props.y_label);
  const y = props.y;
  if (typeof y === "string") return y;
  if (Array.isArray(y)) return "y";
  if (!isPlainMapping(y)) return undefined;
  const fields = new Set(fileFields(y).map(([, f]) => f));
  return fields.size === 1 ? [...fields][0] : "y";
}

function inferXLabel(props: PlotProps): string {
  if (props.x_label !== undefined && props.x_label !== null) return String(props.x_label);
  const x = props.x;
  if (!isPlainMapping(x)) return INDEX_FIELD;
  const fields = new Set(fileFields(x).map(([, f]) => f));
  return fields.size === 1 ? [...fields][0] : "x";
}

/** Longest common leading path (whole segments) of posix paths. */
function commonPath(paths: string[]): string {
  const split = paths.map((p) => p.split("/"));
  const first = split[0];
  let n = 0;
  while (n < first.length && split.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n).join("/");
}

function shortFile(file: string, prefixLen: number): string {
  return file.slice(prefixLen).replace(/^[\\/]+|[\\/]+$/g, "");
}

export interface ConvertResult {
  datapoints: Datapoint[];
  /** props with x/y resolved to field names and labels filled. */
  props: PlotProps;
}

/**
 * Datapoints of one plot at one revision. `data` maps each data file to its
 * parsed blob (files that failed to load are absent).
 */
export function flatDatapoints(
  plotId: string,
  props: PlotProps,
  data: Map<string, unknown>,
  revision: string,
): ConvertResult {
  const inferred = inferXY(plotId, props, data);
  const properties: PlotProps = { ...props, ...inferred };
  properties.y_label = inferYLabel(properties);
  properties.x_label = inferXLabel(properties);
  const file2dps = new Map<string, Datapoint[]>();
  for (const [file, blob] of data) file2dps.set(file, getDatapoints(blob));

  const xs = fileFields(properties.x);
  for (const [f, fld] of xs) verifyField(file2dps, f, fld);
  let xFile: string | null = null;
  let xField = INDEX_FIELD;
  if (xs.length) [xFile, xField] = xs[0];
  const multipleXFields = xs.length > 1 && new Set(xs.map(([, f]) => f)).size > 1;
  const update: PlotProps = { x: multipleXFields ? "dvc_inferred_x_value" : xField };

  const ys = fileFields(properties.y);
  for (const [f, fld] of ys) verifyField(file2dps, f, fld);
  if (xs.length > 1 && xs.length !== ys.length) {
    throw new CairnError(
      `Cannot have different number of x and y data sources. Found ${xs.length} x and ${ys.length} y data sources.`,
    );
  }
  const yFields = new Set(ys.map(([, f]) => f));
  const yFiles = new Set(ys.map(([f]) => f));
  update.y = yFields.size > 1 ? "dvc_inferred_y_value" : [...yFields][0];
  const prefixLen = yFiles.size > 1 ? commonPath([...yFiles]).length : 0;
  update.anchors_y_definitions = ys.map(([f, fld]) => ({
    [FILENAME]: shortFile(f, prefixLen),
    [FIELD]: fld,
  }));

  const all: Datapoint[] = [];
  ys.forEach(([yFile, yField], i) => {
    if (xs.length > 1) [xFile, xField] = xs[i];
    const dps = (file2dps.get(yFile) ?? []).map((d) =>
      setKeyOrder({ ...d }, mapEntries(d).map(([k]) => k))
    );
    if (update.y === "dvc_inferred_y_value") {
      for (const d of dps) {
        if (Object.hasOwn(d, yField)) assignOrdered(d, "dvc_inferred_y_value", d[yField]);
      }
    }
    if (xField === INDEX_FIELD && xFile === null) {
      dps.forEach((d, idx) => assignOrdered(d, INDEX_FIELD, idx));
    } else {
      const src = file2dps.get(xFile!) ?? [];
      if (src.length !== dps.length) {
        throw new CairnError(
          `Cannot join '${xField}' from '${xFile}' and '${yField}' from '${yFile}'. They have to have same length.`,
        );
      }
      const target = multipleXFields ? "dvc_inferred_x_value" : xField;
      dps.forEach((d, idx) => {
        if (Object.hasOwn(src[idx], xField)) assignOrdered(d, target, src[idx][xField]);
      });
    }
    for (const d of dps) {
      assignOrdered(d, REVISION, revision);
      assignOrdered(d, FILENAME, shortFile(yFile, prefixLen));
      assignOrdered(d, FIELD, yField);
    }
    for (const dp of dps) all.push(dp); // no spread: long training logs overflow the stack
  });
  if (!all.length) return { datapoints: [], props: {} };
  return { datapoints: all, props: { ...properties, ...update } };
}

/** Data files a definition reads: y's files (else the id itself), then x's first file. */
export function inferDataSources(plotId: string, props: PlotProps | null): string[] {
  const y = props?.y;
  const sources = isPlainMapping(y) ? mapEntries(y).map(([k]) => keyString(k)) : [plotId];
  const x = props?.x;
  if (isPlainMapping(x)) {
    const first = mapEntries(x)[0];
    if (first) sources.push(keyString(first[0]));
  }
  return [...new Set(sources)];
}
