/**
 * Tables as DVC prints them: python-tabulate with `disable_numparse=True`
 * and `missingval="-"`, format "plain" (columns padded to the widest cell or
 * header + 2, joined by two spaces, each line right-stripped) or "github"
 * (`--md`, followed by a blank line), and CSV as Python's csv writer.
 */

export type Cell = string | null | undefined;

export interface TableOptions {
  markdown?: boolean;
}

/** Display width of a string: code points, wide East Asian chars count 2. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x200b || (c >= 0x300 && c <= 0x36f)) continue; // zero width / combining
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

function isWide(c: number): boolean {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

function pad(s: string, width: number): string {
  return s + " ".repeat(Math.max(0, width - displayWidth(s)));
}

/**
 * Render a table. Returns "" for no rows unless markdown (DVC prints nothing
 * then). The markdown text ends with "\n" (DVC adds it; print adds one more).
 */
export function renderTable(
  headers: string[],
  rows: Cell[][],
  opts: TableOptions = {},
): string {
  if (!rows.length && !opts.markdown) return "";
  const cells = rows.map((r) => headers.map((_, i) => r[i] ?? "-"));
  const widths = headers.map((h, i) =>
    Math.max(displayWidth(h) + 2, ...cells.map((r) => displayWidth(r[i])))
  );
  if (opts.markdown) {
    const line = (r: string[]) => "| " + r.map((c, i) => pad(c, widths[i])).join(" | ") + " |";
    const sep = "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|";
    return [line(headers), sep, ...cells.map(line)].join("\n") + "\n";
  }
  const line = (r: string[]) => r.map((c, i) => pad(c, widths[i])).join("  ").trimEnd();
  return [line(headers), ...cells.map(line)].join("\n");
}

/** CSV as Python's `csv.writer` (QUOTE_MINIMAL, "\n" line ends). */
export function renderCsv(headers: string[], rows: Cell[][]): string {
  const field = (s: string) => /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  const line = (r: Cell[]) => {
    if (r.length === 1 && r[0] === "") return '""';
    return r.map((c) => field(c ?? "")).join(",");
  };
  return [line(headers), ...rows.map((r) => line(headers.map((_, i) => r[i] ?? "-")))]
    .join("\n") + "\n";
}

/**
 * DVC's TabularData: rows built from dicts (missing = fill value), columns
 * that can be dropped, renamed and reordered.
 */
export class TabularData {
  columns: string[];
  rows: Map<string, string>[] = [];
  readonly fill: string;

  constructor(columns: string[], fill = "-") {
    this.columns = [...columns];
    this.fill = fill;
  }

  rowFromDict(d: Record<string, string>): void {
    for (const k of Object.keys(d)) {
      if (!this.columns.includes(k)) this.columns.push(k);
    }
    this.rows.push(new Map(Object.entries(d)));
  }

  drop(...cols: string[]): void {
    this.columns = this.columns.filter((c) => !cols.includes(c));
  }

  rename(from: string, to: string): void {
    this.columns = this.columns.map((c) => (c === from ? to : c));
    for (const r of this.rows) {
      if (r.has(from)) {
        r.set(to, r.get(from)!);
        r.delete(from);
      }
    }
  }

  project(...cols: string[]): void {
    this.columns = cols;
  }

  cells(): string[][] {
    return this.rows.map((r) => this.columns.map((c) => r.get(c) ?? this.fill));
  }

  render(opts: TableOptions & { csv?: boolean } = {}): string {
    if (opts.csv) return renderCsv(this.columns, this.cells());
    return renderTable(this.columns, this.cells(), opts);
  }
}
