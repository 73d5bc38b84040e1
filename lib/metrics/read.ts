/**
 * Reading one metrics file (dvc-spec §12): parsed like a params file (YAML
 * by default, JSON, TOML, Python) or as CSV/TSV; only int/float/str/bool
 * leaves are kept (lists and nulls dropped silently, as DVC's
 * `_extract_metrics`). A `metrics modify --type/--xpath` setting picks the
 * format and the one value to show.
 */
import { CairnError, DvcFileSyntaxError } from "../errors.ts";
import { getParam, parseParams } from "../params/load.ts";
import { parseSv, parseSvRows } from "../plots/sv.ts";
import { isPlainMapping, keyString, mapEntries, pyFloat, pyInt, toNumber } from "../py/value.ts";

/** How a file is to be read (from `cairn metrics modify`). */
export interface MetricSettings {
  /** json, yaml, toml, py, csv, tsv, hcsv, htsv or raw. */
  type?: string;
  /** the one value to show: dotted key / JSONPath (`acc`, `$.a.b[0]`), or `row,col` for csv. */
  xpath?: string;
}

export const METRIC_TYPES = ["json", "yaml", "toml", "py", "csv", "tsv", "hcsv", "htsv", "raw"];

function extOf(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

/** A CSV value as a number when it reads as one (DVC 0.x cast csv metrics). */
function typed(s: string | null): unknown {
  if (s === null) return null;
  const t = s.trim();
  if (/^[-+]?\d+$/.test(t)) return pyInt(BigInt(t));
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || /^[-+]?(inf|nan)$/i.test(t)) {
    return pyFloat(Number(t.replace(/inf/i, "Infinity").replace(/nan/i, "NaN")));
  }
  return s;
}

/** CSV/TSV with a header: one row -> {column: value}; several -> {"0": {...}, "1": ...}. */
function svMetrics(text: string, delimiter: string, path: string): unknown {
  const rows = parseSv(text, { delimiter, path });
  const conv = (r: Record<string, string | null>) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of mapEntries(r)) o[keyString(k)] = typed(v as string | null);
    return o;
  };
  if (rows.length === 1) return conv(rows[0]);
  const out: Record<string, unknown> = {};
  rows.forEach((r, i) => (out[String(i)] = conv(r)));
  return out;
}

/** Parse metrics text by type (settings) or extension. */
export function parseMetricText(
  text: string,
  path: string,
  settings: MetricSettings = {},
): unknown {
  const type = settings.type?.toLowerCase() ?? extOf(path);
  switch (type) {
    case "raw":
      return text.trim();
    case "csv":
    case "tsv":
      if (settings.type && settings.xpath !== undefined) {
        // DVC 0.x: plain csv/tsv have no header; xpath is `row,col`.
        return svCell(text, type === "tsv" ? "\t" : ",", path, settings.xpath, false);
      }
      return svMetrics(text, type === "tsv" ? "\t" : ",", path);
    case "hcsv":
    case "htsv":
      if (settings.xpath !== undefined) {
        return svCell(text, type === "htsv" ? "\t" : ",", path, settings.xpath, true);
      }
      return svMetrics(text, type === "htsv" ? "\t" : ",", path);
    case "json":
    case "toml":
    case "py":
    case "yaml":
    case "yml":
      return parseAs(text, path, type);
    default:
      return parseParams(text, path);
  }
}

/** Parse with the format of `type` whatever the file is called; errors name the real path. */
function parseAs(text: string, path: string, type: string): unknown {
  const fake = `${path}.${type}`;
  try {
    return parseParams(text, fake);
  } catch (err) {
    if (err instanceof DvcFileSyntaxError) {
      const where = err.line === undefined
        ? fake
        : `${fake}:${err.line}${err.column === undefined ? "" : `:${err.column}`}`;
      const detail = err.message.slice(err.message.indexOf(`${where}: `) + where.length + 2);
      throw new DvcFileSyntaxError(path, detail, { line: err.line, column: err.column });
    }
    throw err;
  }
}

function svCell(text: string, delim: string, path: string, xpath: string, header: boolean) {
  const [rowS, col] = xpath.split(",", 2).map((s) => s.trim());
  const rows = parseSvRows(text, delim, path);
  const head = header ? rows[0] ?? [] : [];
  const body = header ? rows.slice(1) : rows;
  const row = body[Number(rowS)];
  const ci = /^\d+$/.test(col ?? "") ? Number(col) : head.indexOf(col ?? "");
  if (!row || ci < 0 || ci >= row.length) {
    throw new CairnError(`'${path}': no value at xpath '${xpath}'`);
  }
  return { [xpath]: typed(row[ci]) };
}

/** DVC's `_extract_metrics`: numbers, strings, bools and non-empty mappings of them. */
export function extractMetrics(v: unknown): unknown {
  if (typeof v === "string" || typeof v === "boolean" || toNumber(v) !== undefined) return v;
  if (!isPlainMapping(v)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, x] of mapEntries(v)) {
    const m = extractMetrics(x);
    if (m === undefined || (isPlainMapping(m) && Object.keys(m).length === 0)) continue;
    out[keyString(k)] = m;
  }
  return out;
}

function falsy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === "") return true;
  const n = toNumber(v);
  if (n !== undefined) return n === 0;
  return isPlainMapping(v) && Object.keys(v).length === 0;
}

/** Segments of an xpath: `$.a.b[0]` / `a.b.0` -> [a, b, 0]. */
export function xpathSegments(xpath: string): string[] {
  return xpath.replace(/^\$\.?/, "").replace(/\[(\d+)\]/g, ".$1").split(".").filter(Boolean);
}

/** Keep only the value at `xpath` (nested under its own keys). */
function selectXpath(data: unknown, xpath: string, path: string): unknown {
  const segs = xpathSegments(xpath);
  const hit = getParam(data, segs.join("."));
  if (!hit.found) throw new CairnError(`'${path}': no value at xpath '${xpath}'`);
  let v: unknown = hit.value;
  for (let i = segs.length - 1; i >= 0; i--) v = { [segs[i]]: v };
  return v;
}

/** Parse, select and filter a metrics file as `metrics show` displays it. */
export function readMetric(text: string, path: string, settings: MetricSettings = {}): unknown {
  let data = parseMetricText(text, path, settings);
  const svXpath = settings.xpath !== undefined &&
    ["csv", "tsv", "hcsv", "htsv"].includes(settings.type?.toLowerCase() ?? "");
  if (settings.xpath !== undefined && !svXpath) data = selectXpath(data, settings.xpath, path);
  const v = extractMetrics(data);
  return falsy(v) ? {} : v;
}
