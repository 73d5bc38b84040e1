/**
 * JSON as DVC prints it (`ui.write_json` = Python `json.dumps`): key order
 * kept, separators `", "`/`": "` (compact, not on a TTY) or 2-space indent,
 * ASCII-only escapes, floats in Python repr (`0.0`, `1e-05`), NaN/Infinity
 * literals. Exceptions are written as `{"type", "msg"}` like
 * `encode_exception`.
 */
import { jsonString } from "./canonical_json.ts";
import {
  isPlainMapping,
  isPyFloat,
  keyString,
  mapEntries,
  PyFloat,
  pyFloatRepr,
  toNumber,
} from "./value.ts";

export interface PyJsonOptions {
  /** spaces of indentation; undefined = one line. */
  indent?: number;
}

export function pyJsonDumps(value: unknown, opts: PyJsonOptions = {}): string {
  const out: string[] = [];
  write(value, out, opts.indent, 0);
  return out.join("");
}

function write(v: unknown, out: string[], indent: number | undefined, depth: number): void {
  if (v === null || v === undefined) out.push("null");
  else if (v === true) out.push("true");
  else if (v === false) out.push("false");
  else if (typeof v === "string") out.push(jsonString(v));
  else if (typeof v === "bigint") out.push(v.toString());
  else if (typeof v === "number" || v instanceof PyFloat) out.push(number(v));
  else if (v instanceof Error) {
    write({ type: v.name, msg: v.message }, out, indent, depth);
  } else if (Array.isArray(v)) {
    container("[", "]", v.map((x) => [null, x] as [string | null, unknown]), out, indent, depth);
  } else if (v instanceof Map || isPlainMapping(v)) {
    const entries = mapEntries(v as object).map(([k, x]) =>
      [keyString(k), x] as [string | null, unknown]
    ).filter(([, x]) => x !== undefined);
    container("{", "}", entries, out, indent, depth);
  } else {
    out.push(jsonString(String(v)));
  }
}

function container(
  open: string,
  close: string,
  items: [string | null, unknown][],
  out: string[],
  indent: number | undefined,
  depth: number,
): void {
  if (!items.length) {
    out.push(open + close);
    return;
  }
  out.push(open);
  const nl = indent === undefined ? "" : "\n" + " ".repeat(indent * (depth + 1));
  items.forEach(([k, x], i) => {
    if (i) out.push(indent === undefined ? ", " : ",");
    out.push(nl);
    if (k !== null) out.push(jsonString(k), ": ");
    write(x, out, indent, depth + 1);
  });
  if (indent !== undefined) out.push("\n" + " ".repeat(indent * depth));
  out.push(close);
}

function number(v: number | PyFloat): string {
  const n = toNumber(v)!;
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  return isPyFloat(v) ? pyFloatRepr(n) : String(n);
}
