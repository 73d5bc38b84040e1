/**
 * Python's text forms of values, as DVC prints them in tables: `str()` of
 * scalars and containers (`True`, `1.0`, `[16, 8]`, `{'a': 1}`), `round(x, n)`
 * with Python's exact half-even rounding, and DVC's `_format_field`.
 */
import {
  isPlainMapping,
  isPyFloat,
  keyString,
  mapEntries,
  PyFloat,
  pyFloatRepr,
  toNumber,
} from "./value.ts";

/** Python `str(value)` (strings as they are; containers use repr of items). */
export function pyStr(v: unknown): string {
  if (typeof v === "string") return v;
  return pyRepr(v);
}

/** A value already formatted as text that prints without quotes. */
class PyGFormatted {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Python `repr(value)`. */
export function pyRepr(v: unknown): string {
  if (v instanceof PyGFormatted) return v.text;
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return pyStrRepr(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number" || v instanceof PyFloat) {
    return isPyFloat(v) ? pyFloatRepr(toNumber(v)!) : String(v);
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (v instanceof Map || isPlainMapping(v)) {
    const parts = mapEntries(v as object).map(([k, x]) =>
      `${typeof k === "string" ? pyStrRepr(k) : pyRepr(k)}: ${pyRepr(x)}`
    );
    return `{${parts.join(", ")}}`;
  }
  return String(v);
}

/** Python's repr of a str: single quotes unless the text has ' and no ". */
export function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === q || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + q;
}

/**
 * Python `round(x, ndigits)` for a float: the exact binary value rounded
 * half-to-even at `ndigits` decimal places (`round(0.125, 2) == 0.12`,
 * `round(2.675, 2) == 2.67`), then back to the nearest double.
 */
export function pyRound(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  // Python returns x unchanged when it already has no more digits than asked.
  if (ndigits > 330) return x;
  const neg = x < 0;
  const [num, den] = exactRatio(Math.abs(x));
  // scaled = num/den * 10^ndigits, rounded half-even to an integer q.
  let sn = num;
  let sd = den;
  if (ndigits >= 0) sn *= 10n ** BigInt(ndigits);
  else sd *= 10n ** BigInt(-ndigits);
  let q = sn / sd;
  const rem2 = (sn % sd) * 2n;
  if (rem2 > sd || (rem2 === sd && q % 2n === 1n)) q += 1n;
  const text = `${q}e${-ndigits}`;
  const r = Number(text);
  return neg ? -r : r;
}

/** Exact value of a positive finite double as numerator/denominator. */
function exactRatio(x: number): [bigint, bigint] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (expBits === 0) {
    exp = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp = expBits - 1075;
  }
  return exp >= 0 ? [mant << BigInt(exp), 1n] : [mant, 1n << BigInt(-exp)];
}

/**
 * DVC's `_format_field`: floats rounded (`round_digits`) or formatted with
 * `{:.Ng}`, dicts recursively, then `str()`. A precision of 0 means "no
 * rounding", as in DVC (it tests `and precision`).
 */
export function formatField(
  v: unknown,
  opts: { precision?: number; roundDigits?: boolean } = {},
): string {
  return pyStr(formatValue(v, opts));
}

function formatValue(
  v: unknown,
  opts: { precision?: number; roundDigits?: boolean },
): unknown {
  if (isPyFloat(v) && opts.precision) {
    const n = toNumber(v)!;
    if (opts.roundDigits) return new PyFloat(pyRound(n, opts.precision));
    return new PyGFormatted(pyFormatG(n, opts.precision));
  }
  if (isPlainMapping(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of mapEntries(v)) out[keyString(k)] = formatValue(x, opts);
    return out;
  }
  return v;
}

/** Python `format(x, ".{p}g")`. */
export function pyFormatG(x: number, p: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const prec = p === 0 ? 1 : p;
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const exp = Number(x.toExponential(prec - 1).split("e")[1]);
  let s: string;
  if (exp < -4 || exp >= prec) {
    const [m, e] = x.toExponential(prec - 1).split("e");
    const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    const en = Number(e);
    s = `${mant}e${en < 0 ? "-" : "+"}${String(Math.abs(en)).padStart(2, "0")}`;
  } else {
    s = x.toFixed(Math.max(0, prec - 1 - exp));
    if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  }
  return s;
}
