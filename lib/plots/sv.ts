/**
 * CSV/TSV as Python's `csv.DictReader` reads them (DVC `_load_sv`): the
 * first row names the columns (or `0`, `1`, ... without a header), values
 * stay strings, blank lines are skipped, short rows get null for the missing
 * columns.
 */
import { DvcFileSyntaxError } from "../errors.ts";
import { setKeyOrder } from "../py/value.ts";

/** Rows of fields (Python csv.reader, excel dialect with `delimiter`). */
export function parseSvRows(text: string, delimiter: string, path = "<data>"): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let inQuotes = false;
  let quoted = false;
  let line = 1;
  let i = 0;
  const endRow = () => {
    if (row.length || field !== "" || quoted) row.push(field);
    if (row.length) rows.push(row);
    row = [];
    field = "";
    quoted = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"' && field === "" && !quoted) {
      inQuotes = true;
      quoted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = "";
      quoted = false;
    } else if (c === "\n" || c === "\r") {
      endRow();
      if (c === "\r" && text[i + 1] === "\n") i++;
      line++;
    } else {
      field += c;
    }
    i++;
  }
  if (inQuotes) {
    throw new DvcFileSyntaxError(path, "unexpected end of data inside quotes", { line });
  }
  endRow();
  return rows;
}

/** Records keyed by the header row (or `0`, `1`, ... when `header` is false). */
export function parseSv(
  text: string,
  opts: { delimiter?: string; header?: boolean; path?: string } = {},
): Record<string, string | null>[] {
  const rows = parseSvRows(text, opts.delimiter ?? ",", opts.path);
  if (!rows.length) return [];
  const header = opts.header === false ? rows[0].map((_, i) => String(i)) : rows[0];
  const body = opts.header === false ? rows : rows.slice(1);
  return body.map((r) => {
    const rec: Record<string, string | null> = {};
    const order: string[] = [];
    header.forEach((h, i) => {
      if (!Object.hasOwn(rec, h)) order.push(h);
      rec[h] = i < r.length ? r[i] : null; // DictReader's restval
    });
    return setKeyOrder(rec, order);
  });
}
