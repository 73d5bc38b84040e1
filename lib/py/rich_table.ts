/**
 * A table as rich 14 prints it with DVC's `Table` subclass (`dvc/utils/table.py`,
 * used by `exp show`): box HORIZONTALS, padding (0, 1), "ellipsis" overflow,
 * plain text cells (no colour: DVC's console writes none to a pipe).
 *
 * Column widths follow rich's `_calculate_column_widths`: every column at its
 * widest cell; when the table is wider than the console, DVC first collapses
 * `collapse` columns right to left to width 0, rich then shrinks the widest
 * wrappable columns, then all evenly; finally DVC merges each run of
 * adjacent collapsed columns into one column showing "…".
 */
import { cellLen } from "./rich_text.ts";

export interface RichColumn {
  header: string;
  justify?: "left" | "right";
  /** never wrapped (only truncated with "…"). */
  noWrap?: boolean;
  /** DVC: may shrink to nothing when the table does not fit. */
  collapse?: boolean;
}

interface Col extends RichColumn {
  /** header first, then the rows' cells. */
  cells: string[];
}

type Measure = [number, number];

const PAD = 2; // left + right padding of every cell

function normalize([min, max]: Measure): Measure {
  const m = Math.min(Math.max(0, min), max);
  return [Math.max(0, m), Math.max(0, Math.max(m, max))];
}

function withMaximum([min, max]: Measure, w: number): Measure {
  return [Math.min(min, w), Math.min(max, w)];
}

/** `Measurement.get` of a `Padding(Text)` cell. */
function measureCell(text: string, maxWidth: number): Measure {
  if (maxWidth < 1) return [0, 0];
  let m: Measure;
  if (maxWidth - PAD < 1) m = [maxWidth, maxWidth];
  else {
    const lines = text.split(/\r\n|\r|\n/);
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    const maxText = lines.length ? Math.max(...lines.map(cellLen)) : 0;
    const words = text.split(/\s+/).filter(Boolean);
    const minText = words.length ? Math.max(...words.map(cellLen)) : maxText;
    let inner = withMaximum(normalize([minText, maxText]), maxWidth);
    inner = inner[1] < 1 ? [0, 0] : normalize(inner);
    m = withMaximum([inner[0] + PAD, inner[1] + PAD], maxWidth);
  }
  const r = withMaximum(normalize(m), maxWidth);
  return r[1] < 1 ? [0, 0] : normalize(r);
}

function measureColumn(col: Col, maxWidth: number): Measure {
  if (maxWidth < 1) return [0, 0];
  const ms = col.cells.map((c) => measureCell(c, maxWidth));
  const min = ms.length ? Math.max(...ms.map((m) => m[0])) : 1;
  const max = ms.length ? Math.max(...ms.map((m) => m[1])) : maxWidth;
  return withMaximum([min, max], maxWidth);
}

/** Python's round(): halves to even. */
function pyRound(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function ratioReduce(total: number, ratios: number[], maximums: number[], values: number[]) {
  ratios = ratios.map((r, i) => (maximums[i] ? r : 0));
  let totalRatio = ratios.reduce((a, b) => a + b, 0);
  if (!totalRatio) return [...values];
  let remaining = total;
  return values.map((v, i) => {
    const ratio = ratios[i];
    if (ratio && totalRatio > 0) {
      const d = Math.min(maximums[i], pyRound((ratio * remaining) / totalRatio));
      remaining -= d;
      totalRatio -= ratio;
      return v - d;
    }
    return v;
  });
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** rich `Table._collapse_widths`: shrink the widest wrappable columns. */
function richCollapse(widths: number[], wrapable: boolean[], maxWidth: number): number[] {
  let total = sum(widths);
  let excess = total - maxWidth;
  if (!wrapable.some(Boolean)) return widths;
  while (total && excess > 0) {
    const maxCol = Math.max(...widths.filter((_, i) => wrapable[i]));
    const second = Math.max(...widths.map((w, i) => (wrapable[i] && w !== maxCol ? w : 0)));
    const diff = maxCol - second;
    const ratios = widths.map((w, i) => (w === maxCol && wrapable[i] ? 1 : 0));
    if (!ratios.some(Boolean) || !diff) break;
    widths = ratioReduce(excess, ratios, widths.map(() => Math.min(excess, diff)), widths);
    total = sum(widths);
    excess = total - maxWidth;
  }
  return widths;
}

class Table {
  cols: Col[];
  constructor(cols: Col[]) {
    this.cols = cols;
  }

  get extraWidth(): number {
    return 2 + (this.cols.length - 1); // edges + dividers
  }

  /** DVC `_collapse_widths`: zero the collapsible columns from the right, then rich's. */
  collapseWidths(widths: number[], wrapable: boolean[], maxWidth: number): number[] {
    let excess = sum(widths) - maxWidth;
    if (this.cols.some((c) => c.collapse)) {
      for (let i = widths.length - 1; i >= 0; i--) {
        if (!this.cols[i].collapse) continue;
        excess -= widths[i];
        widths[i] = 0;
        if (excess <= 0) break;
      }
    }
    return richCollapse(widths, wrapable, maxWidth);
  }

  /** rich's `_calculate_column_widths` and DVC's merging of collapsed columns (drops columns). */
  columnWidths(maxWidth: number): number[] {
    let widths = this.cols.map((c) => measureColumn(c, maxWidth)[1] || 1);
    if (sum(widths) > maxWidth) {
      widths = this.collapseWidths(
        widths,
        this.cols.map((c) => !c.noWrap),
        maxWidth,
      );
      if (sum(widths) > maxWidth) {
        widths = ratioReduce(sum(widths) - maxWidth, widths.map(() => 1), widths, widths);
      }
      widths = this.cols.map((c, i) => measureColumn(c, widths[i])[1] || 0);
    }
    let lastCollapsed = -1;
    for (let i = this.cols.length - 1; i >= 0; i--) {
      if (widths[i] === 0 && this.cols[i].collapse) {
        if (lastCollapsed >= 0) {
          widths.splice(lastCollapsed, 1);
          this.cols.splice(lastCollapsed, 1);
          maxWidth += 1; // one divider less
        }
        lastCollapsed = i;
        if (sum(widths) + PAD <= maxWidth) widths[i] = 1 + PAD;
      } else lastCollapsed = -1;
    }
    return widths;
  }

  /** `__rich_measure__`'s maximum (DVC's pager sets the console to it). */
  measureMax(maxWidth: number): number {
    const extra = this.extraWidth;
    const w = sum(this.columnWidths(maxWidth - extra));
    return sum(this.cols.map((c) => measureColumn(c, w)[1])) + this.extraWidth;
  }

  render(width: number): string[] {
    const widths = this.columnWidths(width - this.extraWidth);
    const rule = " " + widths.map((w) => "─".repeat(w)).join("─") + " ";
    const out = [rule];
    const nRows = this.cols[0]?.cells.length ?? 0;
    for (let r = 0; r < nRows; r++) {
      const cells = this.cols.map((c, i) => renderCell(c.cells[r], widths[i], c));
      const height = Math.max(1, ...cells.map((l) => l.length));
      const shaped = cells.map((lines, i) => {
        const blank = " ".repeat(widths[i]);
        const fill = Array(height - lines.length).fill(blank);
        return r === 0 ? [...fill, ...lines] : [...lines, ...fill]; // header: bottom-aligned
      });
      for (let l = 0; l < height; l++) out.push(" " + shaped.map((c) => c[l]).join(" ") + " ");
      if (r === 0) out.push(rule);
    }
    out.push(rule);
    return out;
  }
}

/** Python's `s[:n]` for a single-cell string (negative n counts from the end). */
function pySlice(s: string, n: number): string {
  const cps = [...s];
  return cps.slice(0, n < 0 ? Math.max(0, cps.length + n) : n).join("");
}

/** rich `set_cell_size`. */
function setCellSize(text: string, total: number): string {
  const cps = [...text];
  if (cps.every((ch) => cellLen(ch) === 1)) {
    return cps.length < total ? text + " ".repeat(total - cps.length) : pySlice(text, total);
  }
  if (total <= 0) return "";
  const len = cellLen(text);
  if (len === total) return text;
  if (len < total) return text + " ".repeat(total - len);
  let out = "";
  let w = 0;
  for (const ch of cps) {
    const cw = cellLen(ch);
    if (w + cw > total) {
      if (w < total) out += " ";
      break;
    }
    out += ch;
    w += cw;
  }
  return out;
}

function truncate(line: string, width: number, pad = false): string {
  const len = cellLen(line);
  if (len > width) line = setCellSize(line, width - 1) + "…";
  if (pad && len < width) line += " ".repeat(width - len);
  return line;
}

/** rich `divide_line` with fold=False (overflow "ellipsis"): break offsets. */
function divideLine(text: string, width: number): number[] {
  const breaks: number[] = [];
  let offset = 0;
  const re = /\s*\S+\s*/y;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(text)) !== null) {
    const start = m.index;
    const word = m[0];
    const wordLen = cellLen(word.trimEnd());
    if (width - offset >= wordLen) offset += cellLen(word);
    else if (wordLen > width) {
      if (start) breaks.push(start);
      offset = cellLen(word);
    } else if (offset && start) {
      breaks.push(start);
      offset = cellLen(word);
    }
  }
  return breaks;
}

/** rich `Text.wrap` + `render_lines(pad=True)` inside `Padding(0, 1)`: lines of `width` cells. */
function renderCell(text: string, width: number, col: RichColumn): string[] {
  const inner = width - PAD;
  if (inner <= 0) return [" ".repeat(Math.max(0, width))];
  const lines: string[] = [];
  for (const raw of text.split("\n")) {
    let pieces: string[];
    if (col.noWrap) pieces = [raw];
    else {
      const cps = raw; // offsets from divide_line are string indices
      const at = [0, ...divideLine(cps, inner), cps.length];
      pieces = at.slice(1).map((end, i) => cps.slice(at[i], end));
    }
    for (let p of pieces) {
      // rstrip_end: trailing whitespace beyond the width
      if (p.length > inner) {
        const ws = /\s+$/.exec(p)?.[0].length ?? 0;
        p = p.slice(0, p.length - Math.min(ws, p.length - inner));
      }
      if (col.justify === "right") {
        p = truncate(p.trimEnd(), inner);
        p = " ".repeat(Math.max(0, inner - cellLen(p))) + p;
      } else p = truncate(p, inner, true);
      p = truncate(p, inner);
      lines.push(" " + setCellSize(p, inner) + " ");
    }
  }
  return lines;
}

export interface RichTableOptions {
  /** console width (`COLUMNS`, the terminal, else 80). */
  width: number;
  /**
   * DVC's pager mode (`exp show` without `--no-pager`): the console is widened
   * to the table's natural width, at most 1024 cells.
   */
  unlimited?: boolean;
}

/** The table's lines, each as rich writes it (trailing spaces kept), joined by "\n". */
export function renderRichTable(
  columns: RichColumn[],
  rows: string[][],
  opts: RichTableOptions,
): string {
  const cols: Col[] = columns.map((c, i) => ({
    ...c,
    cells: [c.header, ...rows.map((r) => r[i])],
  }));
  const table = new Table(cols);
  let width = opts.width;
  if (opts.unlimited) width = table.measureMax(1024);
  // console.print crops every line at the console width
  return table.render(width).map((l) => cellLen(l) > width ? setCellSize(l, width) : l).join("\n");
}
