/**
 * Python `json.dumps(value, sort_keys=True)` byte for byte (dvc-spec §0.1):
 * the form DVC hashes for `.dir` listings, `.dvc` stage md5s and run-cache
 * keys. Separators `", "` / `": "`, keys sorted by code point, ASCII only
 * (`\uXXXX`, lowercase hex, surrogate pairs), floats as Python repr.
 */
import { isPyFloat, keyString, mapEntries, PyFloat, pyFloatRepr, toNumber } from "./value.ts";

/** Serialize `value` exactly as Python's `json.dumps(value, sort_keys=True)`. */
export function canonicalJson(value: unknown): string {
  const parts: string[] = [];
  write(value, parts);
  return parts.join("");
}

function write(v: unknown, out: string[]): void {
  if (v === null || v === undefined) out.push("null");
  else if (v === true) out.push("true");
  else if (v === false) out.push("false");
  else if (typeof v === "string") out.push(jsonString(v));
  else if (typeof v === "bigint") out.push(v.toString());
  else if (typeof v === "number" || v instanceof PyFloat) {
    out.push(jsonNumber(v));
  } else if (Array.isArray(v)) {
    out.push("[");
    v.forEach((x, i) => {
      if (i) out.push(", ");
      write(x, out);
    });
    out.push("]");
  } else if (typeof v === "object") {
    const entries = mapEntries(v);
    const allInt = entries.length > 0 &&
      entries.every(([k]) =>
        typeof k === "bigint" || (typeof k === "number" && Number.isInteger(k))
      );
    // Python sorts the real keys: ints numerically, strings by code point.
    const keyed = entries.map(([k, x]) => ({ k, s: keyString(k), x }));
    keyed.sort((a, b) =>
      allInt
        ? (BigInt(a.k as number) < BigInt(b.k as number) ? -1 : 1)
        : compareCodePoints(a.s, b.s)
    );
    out.push("{");
    keyed.forEach(({ s, x }, i) => {
      if (i) out.push(", ");
      out.push(jsonString(s), ": ");
      write(x, out);
    });
    out.push("}");
  } else {
    throw new TypeError(`Object of type ${typeof v} is not JSON serializable`);
  }
}

function jsonNumber(v: number | PyFloat): string {
  const n = toNumber(v)!;
  if (isPyFloat(v)) {
    if (Number.isNaN(n)) return "NaN";
    if (n === Infinity) return "Infinity";
    if (n === -Infinity) return "-Infinity";
    return pyFloatRepr(n);
  }
  return String(n);
}

const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON string literal with Python's ensure_ascii escaping. */
export function jsonString(s: string): string {
  // Common case (md5s, plain file names): nothing to escape.
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else out += "\\u" + c.toString(16).padStart(4, "0");
  }
  return out + '"';
}

/** Compare strings by Unicode code point (Python order), not UTF-16 unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (astral chars) sort above every BMP char.
    const sa = ca >= 0xd800 && ca <= 0xdfff;
    const sb = cb >= 0xd800 && cb <= 0xdfff;
    if (sa !== sb) return sa ? 1 : -1;
    return ca - cb;
  }
  return a.length - b.length;
}
