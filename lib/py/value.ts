/**
 * Python-typed plain values (params, lock entries, YAML data).
 *
 * DVC is Python: `1` and `1.0` are different values (an int and a float) and
 * are written back differently (`1` vs `1.0`), and hashes of structures use
 * Python's float repr. JS numbers cannot tell them apart, so:
 * - an int is a JS `number` with an integral value (or a `bigint` when it
 *   does not fit in 2^53);
 * - a float is a JS `number` with a fractional part (or NaN/±Infinity), or a
 *   `PyFloat` wrapper when its value is integral (`1.0`, `-0.0`, `1e+20`).
 * Use `toNumber()` to compute with any of them.
 *
 * Mappings are plain objects. A mapping read from YAML/JSON remembers its
 * original key order and key types (JS objects put integer-like keys first)
 * in a hidden, non-enumerable symbol property; writers honour it.
 */

/** A float whose value is integral (Python `1.0`); non-integral floats are plain numbers. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return pyFloatRepr(this.value);
  }
  toJSON(): number {
    return this.value;
  }
}

/** A Python scalar or container as cairn models it. */
export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | PyFloat
  | string
  | PyValue[]
  | { [key: string]: PyValue };

/** Make a float value: a plain number unless integral (then a PyFloat). */
export function pyFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** Make an int value: number when safe, bigint otherwise. */
export function pyInt(n: bigint | number): number | bigint {
  if (typeof n === "number") return n;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) &&
      n <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(n)
    : n;
}

export function isPyFloat(v: unknown): boolean {
  return v instanceof PyFloat ||
    (typeof v === "number" && (!Number.isInteger(v) || Object.is(v, -0)));
}

export function isPyInt(v: unknown): boolean {
  return typeof v === "bigint" ||
    (typeof v === "number" && Number.isInteger(v) && !Object.is(v, -0));
}

/** Numeric value of an int/float (bigint converted, may lose precision); undefined if not numeric. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v instanceof PyFloat) return v.value;
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

/**
 * Python `repr(float)`: shortest round-trip digits; exponent form when the
 * exponent is < -4 or >= 16 (`1e-05`, `1e+16`, `1.5e+20`), else fixed with at
 * least one fractional digit (`1.0`, `0.0001`). `inf`, `-inf`, `nan`.
 */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const sign = n < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest round-trip digits.
  const [mant, expStr] = Math.abs(n).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expStr);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : `${Math.abs(exp)}`;
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) {
    return `${sign}${digits}${"0".repeat(intLen - digits.length)}.0`;
  }
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/** Hidden key-order record of a mapping read from a file. */
const KEY_ORDER = Symbol.for("cairn.keyOrder");

type KeyOrdered = { [KEY_ORDER]?: unknown[] };

/** Python `str()` of a scalar used as a mapping key (bool/None as json.dumps writes them). */
export function keyString(k: unknown): string {
  if (typeof k === "string") return k;
  if (k === null || k === undefined) return "null";
  if (typeof k === "boolean") return k ? "true" : "false";
  if (isPyFloat(k)) return pyFloatRepr(toNumber(k)!);
  return String(k);
}

/** Record the original (typed) keys of `obj`, in file order. Returns obj. */
export function setKeyOrder<T extends object>(obj: T, keys: unknown[]): T {
  Object.defineProperty(obj, KEY_ORDER, {
    value: keys,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return obj;
}

/**
 * Entries of a mapping in file order with the original typed keys when
 * known (and still matching the object's keys), else in `Object.keys` order.
 * Accepts a `Map` too.
 */
export function mapEntries(obj: object): [unknown, unknown][] {
  if (obj instanceof Map) return [...obj.entries()];
  const rec = obj as Record<string, unknown> & KeyOrdered;
  const keys = Object.keys(rec);
  const order = rec[KEY_ORDER];
  if (order && order.length === keys.length) {
    const out: [unknown, unknown][] = [];
    for (const k of order) {
      const s = keyString(k);
      if (!Object.hasOwn(rec, s)) return keys.map((s) => [s, rec[s]]);
      out.push([k, rec[s]]);
    }
    return out;
  }
  return keys.map((s) => [s, rec[s]]);
}

export function isPlainMapping(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  if (Array.isArray(v) || v instanceof PyFloat || v instanceof Map) {
    return false;
  }
  return true;
}

/**
 * Python `==` on plain values: `1 == 1.0`, `True == 1`, dicts by content
 * (order-insensitive), lists by order.
 */
export function pyEquals(a: unknown, b: unknown): boolean {
  const na = typeof a === "boolean" ? Number(a) : toNumber(a);
  const nb = typeof b === "boolean" ? Number(b) : toNumber(b);
  if (na !== undefined && nb !== undefined) {
    if (typeof a === "bigint" && typeof b === "bigint") return a === b;
    return na === nb;
  }
  if (na !== undefined || nb !== undefined) return false;
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === "string") return a === b;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length &&
      a.every((x, i) => pyEquals(x, b[i]));
  }
  if (typeof a === "object" && b !== null && typeof b === "object") {
    if (Array.isArray(b)) return false;
    const ea = mapEntries(a);
    const eb = new Map(mapEntries(b).map(([k, v]) => [keyString(k), v]));
    return ea.length === eb.size &&
      ea.every(([k, v]) => eb.has(keyString(k)) && pyEquals(v, eb.get(keyString(k))));
  }
  return false;
}
