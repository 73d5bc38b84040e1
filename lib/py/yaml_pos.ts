/**
 * What the YAML readers share: source positions of parsed containers, the
 * bounds on hostile documents, and how plain scalars resolve to Python
 * values (ruamel's YAML 1.2 rules). Kept apart from the `yaml` package so
 * the fast reader (yaml_fast.ts) loads without it.
 */
import { pyFloat, pyInt } from "./value.ts";
import { resolvesToStr } from "./yaml_emit.ts";

/** 1-based position in a text file. */
export interface YamlPos {
  line: number;
  column: number;
}

interface ContainerInfo {
  pos: YamlPos;
  /** per key string: position of the key and of its value. */
  keys?: Map<string, { key: YamlPos; value: YamlPos }>;
  items?: YamlPos[];
}

/** Source positions of the containers of one parsed document. */
export class PosIndex {
  #info = new WeakMap<object, ContainerInfo>();
  constructor(readonly path: string) {}

  /** @internal */
  set(obj: object, info: ContainerInfo): void {
    this.#info.set(obj, info);
  }

  /** Where a mapping/sequence starts. */
  of(container: unknown): YamlPos | undefined {
    return isObj(container) ? this.#info.get(container)?.pos : undefined;
  }

  /** Where `key` is written in `mapping`. */
  key(mapping: unknown, key: string): YamlPos | undefined {
    return isObj(mapping) ? this.#info.get(mapping)?.keys?.get(key)?.key : undefined;
  }

  /** Where the value of `key` (mapping) or item `index` (sequence) is written. */
  value(container: unknown, keyOrIndex: string | number): YamlPos | undefined {
    if (!isObj(container)) return undefined;
    const info = this.#info.get(container);
    if (!info) return undefined;
    return typeof keyOrIndex === "number"
      ? info.items?.[keyOrIndex]
      : info.keys?.get(keyOrIndex)?.value;
  }

  /** Copy the positions of `from` onto `to` (values rebuilt by interpolation). */
  alias(to: object, from: object): void {
    const info = this.#info.get(from);
    if (info) this.#info.set(to, info);
  }
}

export function isObj(v: unknown): v is object {
  return v !== null && typeof v === "object";
}

/**
 * Bounds on the work one document may cause (docs/security.md). Real
 * DVC files stay far below them; a hostile one hits them within a second.
 */
export const YAML_LIMITS = {
  /** alias uses (`*a`, `<<: *a`), counting those met again inside expanded aliases. */
  aliases: 10_000,
  /** source characters the aliases copy in, nested copies counted again. */
  aliasChars: 4 * 1024 * 1024,
  /** mappings/sequences inside each other (below where the library itself overflows, ~800). */
  depth: 500,
  /** digits of a decimal int (Python's int/str conversion limit). */
  intDigits: 4300,
};

/** Python refuses decimal ints this long (and BigInt would take seconds on a huge one). */
export function decimalDigits(text: string): number {
  return /^[-+]?[0-9_]+$/.test(text) && !/^[-+]?0[0-7_]*$/.test(text)
    ? text.replace(/[-+_]/g, "").length
    : 0;
}

/** Value of a plain scalar under ruamel's YAML 1.2 resolver + SafeConstructor. */
export function resolvePlain(text: string): unknown {
  if (resolvesToStr(text)) return text;
  if (text === "" || /^(?:~|null|Null|NULL)$/.test(text)) return null;
  if (/^(?:true|True|TRUE)$/.test(text)) return true;
  if (/^(?:false|False|FALSE)$/.test(text)) return false;
  if (/^[-+0-9]/.test(text) && INT_RE.test(text)) return constructInt(text);
  if (FLOAT_RE.test(text)) return constructFloat(text);
  // merge key, timestamps, `=`: kept as text.
  return text;
}

const INT_RE = /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

export function constructInt(text: string): number | bigint | undefined {
  let s = text.replaceAll("_", "");
  let sign = 1n;
  if (s[0] === "-") sign = -1n;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  let digits = s;
  let prefix = "";
  if (s.startsWith("0b")) [prefix, digits] = ["0b", s.slice(2)];
  else if (s.startsWith("0x")) [prefix, digits] = ["0x", s.slice(2)];
  else if (s.startsWith("0o")) [prefix, digits] = ["0o", s.slice(2)];
  if (!digits) return undefined;
  try {
    return pyInt(sign * BigInt(prefix + digits));
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return undefined; // not digits of that base: not an int
  }
}

export function constructFloat(text: string): number | unknown {
  let s = text.replaceAll("_", "").toLowerCase();
  let sign = 1;
  if (s[0] === "-") sign = -1;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  if (s === ".inf") return sign * Infinity;
  if (s === ".nan") return NaN;
  return pyFloat(sign * Number(s));
}
