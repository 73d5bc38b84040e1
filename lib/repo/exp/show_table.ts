/**
 * The `exp show` table, built as DVC's `tabulate` (dvc/repo/experiments/show.py)
 * and shaped as its `show_experiments` (dvc/commands/experiments/show.py):
 * columns Experiment, rev, typ, Created, parent, State, Executor, the metrics,
 * the params, then the deps (sorted); `--keep` protects columns, empty
 * State/Executor go, `--only-changed` drops columns with one value, `--drop`
 * drops by regex. Rendered as CSV, a GitHub table (`--md`) or rich's table.
 */
import { CairnError } from "../../errors.ts";
import { formatField, pyStr } from "../../py/format.ts";
import { isPlainMapping } from "../../py/value.ts";
import { compareCodePoints } from "../../py/canonical_json.ts";
import { renderCsv, renderTable } from "../../py/table.ts";
import { renderRichTable, type RichColumn } from "../../py/rich_table.ts";
import type { ExpNode, FileJson } from "./show.ts";

export interface ExpShowTableOptions {
  csv?: boolean;
  markdown?: boolean;
  /** `--precision` (DVC applies it to CSV only; the table rounds to 5 digits). */
  precision?: number;
  sortBy?: string;
  sortOrder?: "asc" | "desc";
  keep?: string[];
  drop?: string[];
  onlyChanged?: boolean;
  /** false for `--no-pager`: the table shrinks to `width`; otherwise its natural width (≤1024). */
  pager?: boolean;
  /** console width. */
  width: number;
}

/** DVC's InvalidArgumentError (exit 255 through main's handler). */
export class InvalidArgumentError extends CairnError {
  constructor(message: string) {
    super(message, { exitCode: 255 });
  }
}

const DEFAULT_PRECISION = 5;

/** dvc.utils.flatten (flatten_dict, "dot"): nested mappings to dotted keys; lists are leaves. */
function flatten(d: unknown, prefix = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (!isPlainMapping(d)) return out;
  for (const [k, v] of Object.entries(d as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainMapping(v)) flatten(v, key, out); // flatten_dict drops empty mappings
    else out.set(key, v);
  }
  return out;
}

type Names = Map<string, Map<string, null>>;

interface DataNames {
  metrics: Names;
  params: Names;
  deps: Set<string>;
}

function collectFiles(into: Names, files: Record<string, FileJson>) {
  for (const [path, fj] of Object.entries(files)) {
    const item = "data" in fj ? fj.data : {};
    if (!isPlainMapping(item)) continue;
    let keys = into.get(path);
    if (!keys) into.set(path, keys = new Map());
    for (const k of flatten(item).keys()) keys.set(k, null);
  }
}

/** `_collect_names`: files and keys in order of first appearance, deps as a set. */
function collectNames(nodes: ExpNode[], names: DataNames) {
  for (const n of nodes) {
    collectFiles(names.metrics, n.data.metrics);
    collectFiles(names.params, n.data.params);
    for (const d of Object.keys(n.data.deps)) names.deps.add(d);
    for (const r of n.experiments ?? []) collectNames(r.revs, names);
  }
}

const FIXED = ["Experiment", "rev", "typ", "Created", "parent", "State", "Executor"];

function normalizeHeaders(names: Names, count: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [path, keys] of names) {
    for (const k of keys.keys()) out.push(count.get(k) === 1 ? k : `${path}:${k}`);
  }
  return out;
}

function isSha(rev: string): boolean {
  return /^[0-9a-f]{40}$/.test(rev);
}

function formatTime(iso: string | null, fill: string, csv: boolean): string {
  if (!iso) return fill;
  if (csv) return iso;
  const d = new Date(iso);
  const now = new Date();
  const p = (n: number) => String(n).padStart(2, "0");
  if (d.toDateString() === now.toDateString()) {
    const h = d.getHours() % 12 || 12;
    return `${p(h)}:${p(d.getMinutes())} ${d.getHours() < 12 ? "AM" : "PM"}`;
  }
  const mon = d.toLocaleString("en-US", { month: "short" });
  return `${mon} ${p(d.getDate())}, ${d.getFullYear()}`;
}

/** `_sort_column`: which file and key `--sort-by` names. */
function sortColumn(
  sortBy: string,
  metrics: Names,
  params: Names,
): [string, string, "metrics" | "params"] {
  const parts = sortBy.split(":");
  const matches = new Map<string, [string, string, "metrics" | "params"]>();
  const add = (m: [string, string, "metrics" | "params"]) => matches.set(m.join("\0"), m);
  for (let i = 0; i < parts.length; i++) {
    const path = parts.slice(0, i).join(":");
    const name = parts.slice(i).join(":");
    if (!path) sortBy = name;
    if (metrics.get(path)?.has(name)) add([path, name, "metrics"]);
    if (params.get(path)?.has(name)) add([path, name, "params"]);
  }
  if (!matches.size) {
    for (const [path, keys] of metrics) if (keys.has(sortBy)) add([path, sortBy, "metrics"]);
    for (const [path, keys] of params) if (keys.has(sortBy)) add([path, sortBy, "params"]);
  }
  const all = [...matches.values()];
  if (all.length === 1) return all[0];
  if (all.length > 1) {
    throw new InvalidArgumentError(
      `Ambiguous sort column '${sortBy}' matched '${all.map(([p, n]) => `${p}:${n}`).join(", ")}'`,
    );
  }
  throw new InvalidArgumentError(`Unknown sort column '${sortBy}'`);
}

/** Python ordering of (value is None, value) for numbers and strings. */
function compareSortKeys(a: unknown, b: unknown): number {
  const an = a === undefined || a === null, bn = b === undefined || b === null;
  if (an || bn) return Number(an) - Number(bn);
  const na = Number(pyStr(a)), nb = Number(pyStr(b));
  if (typeof a !== "string" && typeof b !== "string" && !isNaN(na) && !isNaN(nb)) {
    return na - nb;
  }
  return compareCodePoints(pyStr(a), pyStr(b));
}

type ExpRange = NonNullable<ExpNode["experiments"]>[number];

function sortExps(
  exps: ExpRange[],
  [path, name, typ]: [string, string, "metrics" | "params"],
  reverse: boolean,
): ExpRange[] {
  const key = (r: ExpRange) => {
    const fj = r.revs[0]?.data[typ][path];
    return flatten(fj && "data" in fj ? fj.data : {}).get(name);
  };
  const idx = exps.map((r, i) => ({ r, i, k: key(r) }));
  // Python's sorted(reverse=True) keeps equal items in their order
  idx.sort((x, y) => (reverse ? -1 : 1) * compareSortKeys(x.k, y.k) || x.i - y.i);
  return idx.map((x) => x.r);
}

/** Columns by name, in order, with DVC TabularData's drop/protect rules. */
class Td {
  keys: string[];
  cols = new Map<string, string[]>();
  protected = new Set<string>();
  constructor(keys: string[]) {
    this.keys = [...new Set(keys)];
    for (const k of this.keys) this.cols.set(k, []);
  }
  drop(...names: string[]) {
    for (const n of names) {
      if (this.protected.has(n) || !this.cols.has(n)) continue;
      this.keys = this.keys.filter((k) => k !== n);
      this.cols.delete(n);
    }
  }
  rows(): string[][] {
    const n = this.cols.get(this.keys[0])?.length ?? 0;
    return Array.from({ length: n }, (_, i) => this.keys.map((k) => this.cols.get(k)![i]));
  }
}

const TREE: Record<string, string> = { branch_commit: "├──", branch_base: "└──", baseline: "" };

/** The exact text `exp show` writes ("" for nothing). */
export function renderExpShow(nodes: ExpNode[], o: ExpShowTableOptions): string {
  const csv = !!o.csv;
  const fill = csv ? "" : "-";
  const precision = csv ? (o.precision || undefined) : DEFAULT_PRECISION;
  const names: DataNames = { metrics: new Map(), params: new Map(), deps: new Set() };
  collectNames(nodes, names);
  const count = new Map<string, number>();
  for (const group of [names.metrics, names.params]) {
    for (const keys of group.values()) {
      for (const k of keys.keys()) count.set(k, (count.get(k) ?? 0) + 1);
    }
  }
  for (const h of FIXED) count.set(h, (count.get(h) ?? 0) + 1);
  const metricsHeaders = normalizeHeaders(names.metrics, count);
  const paramsHeaders = normalizeHeaders(names.params, count);
  const depsNames = [...names.deps].sort(compareCodePoints);
  const allHeaders = [...FIXED, ...metricsHeaders, ...paramsHeaders, ...depsNames];
  const td = new Td(allHeaders);

  const dataCells = (n: ExpNode, row: Map<string, string>) => {
    const files = (d: Record<string, FileJson>, ns: Names, headers: string[]) => {
      for (const [fname, fj] of Object.entries(d)) {
        const raw = "data" in fj ? fj.data : {};
        const item = isPlainMapping(raw) ? flatten(raw) : new Map([[fname, raw]]);
        for (const name of ns.get(fname)?.keys() ?? []) {
          const v = item.get(name);
          const cell = v === undefined || v === null
            ? (fj.error ? "!" : fill)
            : formatField(v, { precision });
          row.set(headers.includes(name) ? name : `${fname}:${name}`, cell);
        }
      }
    };
    files(n.data.metrics, names.metrics, metricsHeaders);
    files(n.data.params, names.params, paramsHeaders);
    for (const d of depsNames) {
      const dep = n.data.deps[d];
      if (dep) row.set(d, dep.hash ?? fill);
    }
  };
  const pushRow = (row: Map<string, string>) => {
    for (const k of td.keys) td.cols.get(k)!.push(row.get(k) ?? fill);
  };
  const sortKey = o.sortBy;
  for (const b of nodes) {
    const row = new Map<string, string>([
      ["Experiment", ""],
      ["rev", b.name ? b.name : isSha(b.rev) ? b.rev.slice(0, 7) : b.rev],
      ["typ", "baseline"],
      ["parent", ""],
    ]);
    row.set("Created", formatTime(b.data.timestamp, fill, csv));
    dataCells(b, row);
    pushRow(row);
    let exps = b.experiments ?? [];
    if (exps.length && sortKey) {
      const col = sortColumn(sortKey, names.metrics, names.params);
      exps = sortExps(exps, col, o.sortOrder === "desc");
    }
    exps.forEach((r, i) => {
      const e = r.revs[0];
      if (!e) return;
      const row = new Map<string, string>([
        ["Experiment", e.name ?? ""],
        ["rev", isSha(e.rev) ? e.rev.slice(0, 7) : e.rev],
        ["typ", i === exps.length - 1 ? "branch_base" : "branch_commit"],
        ["parent", ""],
      ]);
      if (r.executor) {
        row.set("State", cap(r.executor.state));
        if (r.executor.name) row.set("Executor", cap(r.executor.name));
      }
      row.set("Created", formatTime(e.data.timestamp, fill, csv));
      dataCells(e, row);
      pushRow(row);
    });
  }

  // show_experiments
  const anchored = (pats: string[]) => new RegExp(`^(?:${pats.join("|")})`, "u");
  if (o.keep?.length) {
    const re = anchored(o.keep);
    for (const k of td.keys) if (re.test(k)) td.protected.add(k);
  }
  for (const c of ["State", "Executor"]) {
    if (td.cols.get(c)?.every((v) => v === fill)) td.drop(c);
  }
  if (!csv) {
    const col = td.cols.get("Experiment");
    if (col) {
      const get = (k: string, i: number) => td.cols.get(k)?.[i];
      col.forEach((name, i) => {
        const rev = get("rev", i) ?? "";
        const typ = get("typ", i) ?? "baseline";
        let text = typ === "baseline" || !name ? (name || rev) : `${rev} [${name}]`;
        const parent = get("parent", i);
        if (parent) text += ` (${parent})`;
        const tree = TREE[typ] ?? "";
        col[i] = (tree ? `${tree} ` : "") + text;
      });
    }
    td.drop("rev", "typ", "parent");
  }
  if (o.onlyChanged) {
    td.drop(...td.keys.filter((k) => new Set(td.cols.get(k)).size === 1));
  }
  if (o.drop?.length) {
    const re = anchored(o.drop);
    td.drop(...td.keys.filter((k) => re.test(k)));
  }

  const rows = td.rows();
  // Python's csv writer ends lines with \r\n
  if (csv) return renderCsv(td.keys, rows).replaceAll("\n", "\r\n");
  if (!rows.length && !o.markdown) return "";
  if (o.markdown) return renderTable(td.keys, rows, { markdown: true }) + "\n";
  const styles = new Map<string, Partial<RichColumn>>([
    ["Experiment", { noWrap: true }],
  ]);
  for (
    const [typ, hs] of [
      ["metrics", metricsHeaders],
      ["params", paramsHeaders],
      ["deps", depsNames],
    ] as const
  ) {
    hs.forEach((h, idx) =>
      styles.set(h, {
        justify: typ === "metrics" ? "right" : "left",
        collapse: idx !== 0,
        noWrap: typ === "metrics",
      })
    );
  }
  const columns = td.keys.map((h) => ({ header: h, ...styles.get(h) }));
  return renderRichTable(columns, rows, { width: o.width, unlimited: o.pager !== false }) + "\n";
}

function cap(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
}
