/**
 * The tables of `metrics show`, `metrics diff` and `params diff`, shaped as
 * DVC's `dvc/compare.py` builds them (`metrics_table`, `diff_table`).
 */
import { compareCodePoints } from "../../py/canonical_json.ts";
import { isPlainMapping } from "../../py/value.ts";
import { flattenMetrics } from "../../metrics/flatten.ts";
import type { DiffData } from "../../metrics/compare.ts";
import { formatField } from "../../py/format.ts";
import { type Cell, renderCsv, renderTable, TabularData } from "../../py/table.ts";

export const DEFAULT_PRECISION = 5;

/** Per revision, per file: the data read or why it could not be. */
export interface ShowFile {
  data?: unknown;
  error?: unknown;
  missing?: unknown;
}
export type ShowResult = Record<string, { data?: Record<string, ShowFile>; error?: unknown }>;

export interface MetricsTableOptions {
  /** show the Revision column (-a/-T/-A/--rev). */
  withRevision?: boolean;
  precision?: number;
  /** round (`round(x, n)`, metrics) rather than `{:.ng}`. */
  roundDigits?: boolean;
}

/** `metrics_table`: Revision, Path, then every flattened key sorted. */
export function metricsTable(result: ShowResult, opts: MetricsTableOptions = {}): TabularData {
  const td = new TabularData(["Revision", "Path"], "-");
  for (const [rev, val] of Object.entries(result)) {
    for (const [file, fr] of Object.entries(val.data ?? {})) {
      const row: Record<string, string> = { Revision: rev, Path: file };
      const metric = fr.data ?? {};
      const flat = isPlainMapping(metric) ? flattenMetrics(metric) : { "": metric };
      for (const [k, v] of Object.entries(flat)) {
        row[k] = formatField(v, { precision: opts.precision, roundDigits: opts.roundDigits });
      }
      td.rowFromDict(row);
    }
  }
  const [rev, path, ...rest] = td.columns;
  td.project(rev, path, ...rest.sort(compareCodePoints));
  if (!opts.withRevision) td.drop("Revision");
  return td;
}

export interface DiffTableOptions {
  title: string;
  aRev?: string;
  bRev?: string;
  noPath?: boolean;
  showChanges?: boolean;
  precision?: number;
  roundDigits?: boolean;
}

/** `diff_table`: Path, <title>, <a_rev>, <b_rev>[, Change]; keys sorted per file. */
export function diffTable(
  diff: DiffData,
  opts: DiffTableOptions,
): { headers: string[]; rows: Cell[][] } {
  const a = opts.aRev || "HEAD";
  const b = opts.bRev || "workspace";
  const fmt = (v: unknown) =>
    v === null || v === undefined
      ? "-"
      : formatField(v, { precision: opts.precision, roundDigits: opts.roundDigits });
  let headers = ["Path", opts.title, a, b, "Change"];
  let rows: Cell[][] = [];
  for (const [file, changes] of Object.entries(diff)) {
    const keys = Object.keys(changes).sort(compareCodePoints);
    for (const k of keys) {
      const c = changes[k];
      rows.push([file, k, fmt(c.old), fmt(c.new), fmt(c.diff)]);
    }
  }
  const keep = headers.map((_h, i) =>
    !((i === 0 && opts.noPath) || (i === 4 && opts.showChanges === false))
  );
  headers = headers.filter((_, i) => keep[i]);
  rows = rows.map((r) => r.filter((_, i) => keep[i]));
  return { headers, rows };
}

export type TableFormat = "plain" | "md" | "csv";

/** Text of a table in the chosen format ("" when plain and empty). */
export function formatTable(headers: string[], rows: Cell[][], format: TableFormat): string {
  if (format === "csv") return renderCsv(headers, rows);
  return renderTable(headers, rows, { markdown: format === "md" });
}
