/**
 * YAML reading as DVC does it (ruamel.yaml safe loader, YAML 1.2): plain
 * scalars resolved with ruamel's 1.2 rules (`1.0` is a float, kept as such;
 * `yes` is a string; `0o17`, `0x1F`, `1_000` are ints), mappings as plain
 * objects that remember their key order (lib/py/value.ts). Every
 * mapping/sequence read is indexed with its source positions so schema
 * checks can report file, line and column.
 *
 * The text is untrusted (a cloned repo, a remote): aliases are expanded by
 * this module, not the library, so it bounds them itself (YAML_LIMITS: alias
 * uses and the source text they copy, the "billion laughs"), and nesting
 * depth; a document past a bound fails with file and line, never hangs.
 */
import type { Document, LineCounter, Node as YNode } from "npm:yaml@^2.9.1";
import { yaml } from "./yaml_lib.ts";
import { DvcFileSyntaxError } from "../errors.ts";
import { keyString, pyFloat, pyInt, setKeyOrder } from "./value.ts";
import { resolvesToStr } from "./yaml_emit.ts";

const { isAlias, isMap, isPair, isScalar, isSeq, parseDocument, visit } = yaml;

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

function isObj(v: unknown): v is object {
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

export interface ParsedYaml {
  /** the document's data (null for an empty document). */
  value: unknown;
  positions: PosIndex;
  /** the `yaml` library document (for comment-preserving edits). */
  doc: Document;
  lineCounter: LineCounter;
}

/**
 * Parse YAML text. `path` is used in error messages. Throws
 * DvcFileSyntaxError (with line and column) on invalid YAML.
 */
export function parseYaml(text: string, path: string): ParsedYaml {
  const lineCounter = new yaml.LineCounter();
  // uniqueKeys off: the library checks each key against every earlier one
  // (minutes for a 50k-key file); Converter finds duplicates with a lookup.
  let doc: Document;
  try {
    doc = parseDocument(text, {
      schema: "failsafe",
      lineCounter,
      prettyErrors: false,
      uniqueKeys: false,
    });
  } catch (err) {
    // The library reports most stack overflows in doc.errors, but not its parser's own
    // (`a: : : : ...` thousands deep on one line); no position is known then.
    if (!(err instanceof RangeError)) throw err;
    throw new DvcFileSyntaxError(path, "document is nested too deeply");
  }
  if (doc.errors.length) {
    const err = doc.errors[0];
    const lp = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
    const msg = /Maximum call stack/.test(err.message)
      ? `document is nested too deeply (more than ${YAML_LIMITS.depth} levels)`
      : yamlErrorText(err.message);
    throw new DvcFileSyntaxError(path, msg, {
      line: lp.line,
      column: lp.col,
    });
  }
  const positions = new PosIndex(path);
  const conv = new Converter(doc, lineCounter, positions, path);
  let value: unknown;
  try {
    value = doc.contents ? conv.node(doc.contents as YNode) : null;
  } catch (err) {
    // deep but under the depth bound, on a small stack: still a clean error.
    if (!(err instanceof RangeError)) throw err;
    throw new DvcFileSyntaxError(
      path,
      `document is nested too deeply (more than ${YAML_LIMITS.depth} levels)`,
    );
  }
  return { value, positions, doc, lineCounter };
}

/** Parse YAML text and return only the data. */
export function loadYaml(text: string, path: string): unknown {
  return parseYaml(text, path).value;
}

function yamlErrorText(msg: string): string {
  // The library appends " at line N, column M:" and a code frame.
  return msg.replace(/ at line \d+, column \d+:?[\s\S]*$/, "");
}

const TAG = "tag:yaml.org,2002:";

class Converter {
  #aliases = 0;
  #aliasChars = 0;
  /** the alias being expanded at the top (errors point at it, not deep inside). */
  #outer: YNode | null = null;
  #targets: Map<YNode, YNode> | undefined;
  constructor(
    readonly doc: Document,
    readonly lc: LineCounter,
    readonly positions: PosIndex,
    readonly path: string,
  ) {}

  pos(n: { range?: [number, number, number] | null } | null): YamlPos {
    const off = n?.range?.[0] ?? 0;
    const lp = this.lc.linePos(off);
    return { line: lp.line, column: lp.col };
  }

  fail(n: YNode | null, msg: string): never {
    throw new DvcFileSyntaxError(this.path, msg, this.pos(n));
  }

  /**
   * The node an alias refers to: the last node before it with that anchor
   * (what `Alias.resolve` finds, but that walks the whole document per alias,
   * quadratic; this indexes every alias in one walk).
   */
  anchorOf(n: YNode): YNode | undefined {
    if (!this.#targets) {
      const targets = new Map<YNode, YNode>();
      const anchors = new Map<string, YNode>();
      visit(this.doc, {
        Node: (_k, node) => {
          if (isAlias(node)) {
            const t = anchors.get(node.source);
            if (t) targets.set(node, t);
          } else if (node.anchor) anchors.set(node.anchor, node);
        },
      });
      this.#targets = targets;
    }
    return this.#targets.get(n);
  }

  /** Count one use of an alias whose target spans `target.range`; fail past the bounds. */
  expand(n: YNode, target: YNode): void {
    const r = target.range;
    this.#aliases++;
    this.#aliasChars += r ? Math.max(1, r[1] - r[0]) : 1;
    if (this.#aliases > YAML_LIMITS.aliases || this.#aliasChars > YAML_LIMITS.aliasChars) {
      const at = this.#outer ?? n;
      const name = isAlias(at) ? `*${at.source}` : "an alias";
      this.fail(
        at,
        `aliases expand too much at ${name} (over ${YAML_LIMITS.aliases} alias uses or ${
          YAML_LIMITS.aliasChars >> 20
        } MiB of copied text): refusing a document that multiplies itself`,
      );
    }
  }

  node(n: YNode | null, depth = 0): unknown {
    if (n === null) return null;
    if (depth > YAML_LIMITS.depth) {
      this.fail(n, `document is nested too deeply (more than ${YAML_LIMITS.depth} levels)`);
    }
    if (isAlias(n)) {
      const target = this.anchorOf(n);
      if (!target) this.fail(n, `unknown alias '${n.source}'`);
      this.expand(n, target as YNode);
      if (this.#outer) return this.node(target as YNode, depth);
      this.#outer = n;
      try {
        return this.node(target as YNode, depth);
      } finally {
        this.#outer = null;
      }
    }
    if (isScalar(n)) return this.scalar(n);
    if (isSeq(n)) {
      const out: unknown[] = [];
      const items: YamlPos[] = [];
      for (const it of n.items) {
        out.push(this.node(it as YNode, depth + 1));
        items.push(this.pos(it as YNode));
      }
      this.positions.set(out, { pos: this.pos(n), items });
      return out;
    }
    if (isMap(n)) {
      const obj: Record<string, unknown> = {};
      const order: unknown[] = [];
      const keys = new Map<string, { key: YamlPos; value: YamlPos }>();
      const merges: unknown[] = [];
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const kn = pair.key as YNode | null;
        if (
          isScalar(kn) && kn.type === "PLAIN" && kn.value === "<<" && !kn.tag
        ) {
          merges.push(this.node(pair.value as YNode, depth));
          continue;
        }
        const k = this.node(kn, depth);
        if (isObj(k)) this.fail(kn, "found unhashable key");
        const ks = keyString(k);
        if (Object.hasOwn(obj, ks)) {
          this.fail(kn, `found duplicate key "${ks}"`);
        }
        const vn = pair.value as YNode | null;
        obj[ks] = this.node(vn, depth + 1);
        order.push(k);
        keys.set(ks, {
          key: this.pos(kn),
          value: vn ? this.pos(vn) : this.pos(kn),
        });
      }
      // `<<` merge keys: explicit keys win, earlier merged maps win.
      for (const m of merges.flatMap((m) => Array.isArray(m) ? m : [m])) {
        if (!isObj(m) || Array.isArray(m)) {
          this.fail(n, "expected a mapping or list of mappings for merging");
        }
        for (const [ks, v] of Object.entries(m)) {
          if (!Object.hasOwn(obj, ks)) {
            obj[ks] = v;
            order.push(ks);
          }
        }
      }
      setKeyOrder(obj, order);
      this.positions.set(obj, { pos: this.pos(n), keys });
      return obj;
    }
    return this.fail(n, "unsupported YAML node");
  }

  checkInt(n: YNode, text: string): void {
    const digits = decimalDigits(text);
    if (digits > YAML_LIMITS.intDigits) {
      this.fail(
        n,
        `integer too long (${digits} digits, the limit is ${YAML_LIMITS.intDigits})`,
      );
    }
  }

  scalar(n: YNode & { value: unknown; type?: string; tag?: string }): unknown {
    const text = n.value === null || n.value === undefined ? "" : String(n.value);
    const tag = n.tag;
    if (tag && tag !== "!") {
      switch (tag) {
        case TAG + "str":
          return text;
        case TAG + "null":
          return null;
        case TAG + "bool":
          return /^(true|True|TRUE)$/.test(text);
        case TAG + "int":
          this.checkInt(n, text);
          return constructInt(text) ?? this.fail(n, `invalid int '${text}'`);
        case TAG + "float":
          return constructFloat(text);
        default:
          return text; // unknown tags: keep the text
      }
    }
    if (n.type !== "PLAIN") return text;
    if (text.length > YAML_LIMITS.intDigits && /^[-+]?[0-9]/.test(text)) this.checkInt(n, text);
    const v = resolvePlain(text);
    if (v === undefined) this.fail(n, `cannot construct a value from '${text}'`);
    return v;
  }
}

/** Python refuses decimal ints this long (and BigInt would take seconds on a huge one). */
function decimalDigits(text: string): number {
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

function constructInt(text: string): number | bigint | undefined {
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
  } catch {
    return undefined;
  }
}

function constructFloat(text: string): number | unknown {
  let s = text.replaceAll("_", "").toLowerCase();
  let sign = 1;
  if (s[0] === "-") sign = -1;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  if (s === ".inf") return sign * Infinity;
  if (s === ".nan") return NaN;
  return pyFloat(sign * Number(s));
}
