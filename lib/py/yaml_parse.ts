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
 *
 * Start-up (issue 16): loading the `yaml` package costs more than the rest of
 * a no-op `status`. The block-style subset DVC writes, and most people write,
 * is read by yaml_fast.ts without it; other text goes to the library: in
 * this process when some module has loaded it already (yaml_lib.ts), else
 * in a worker the caller waits for (yaml_sync.ts), so this API stays
 * synchronous. Both give the same values, positions and errors.
 */
import type { Document, LineCounter, Node as YNode } from "npm:yaml@^2.9.1";
import { DvcFileSyntaxError } from "../errors.ts";
import { keyString, setKeyOrder } from "./value.ts";
import {
  constructFloat,
  constructInt,
  decimalDigits,
  isObj,
  PosIndex,
  resolvePlain,
  YAML_LIMITS,
  type YamlPos,
} from "./yaml_pos.ts";
import { fastParseYaml } from "./yaml_fast.ts";
import { loadedYaml, type YamlApi } from "./yaml_slot.ts";
import { parseYamlInWorker } from "./yaml_sync.ts";

export { PosIndex, resolvePlain, YAML_LIMITS, type YamlPos };

export interface ParsedYaml {
  /** the document's data (null for an empty document). */
  value: unknown;
  positions: PosIndex;
}

/**
 * Parse YAML text. `path` is used in error messages. Throws
 * DvcFileSyntaxError (with line and column) on invalid YAML.
 */
export function parseYaml(text: string, path: string): ParsedYaml {
  const fast = fastParseYaml(text, path);
  if (fast) return fast;
  const yaml = loadedYaml();
  return yaml ? parseWithLibrary(yaml, text, path) : parseYamlInWorker(text, path);
}

/** parseYaml() by the `yaml` package (`yaml`: the loaded package). */
export function parseWithLibrary(yaml: YamlApi, text: string, path: string): ParsedYaml {
  const lineCounter = new yaml.LineCounter();
  // uniqueKeys off: the library checks each key against every earlier one
  // (minutes for a 50k-key file); Converter finds duplicates with a lookup.
  let doc: Document;
  try {
    doc = yaml.parseDocument(text, {
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
  const conv = new Converter(yaml, doc, lineCounter, positions, path);
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
  return { value, positions };
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
    readonly y: YamlApi,
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
      this.y.visit(this.doc, {
        Node: (_k, node) => {
          if (this.y.isAlias(node)) {
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
      const name = this.y.isAlias(at) ? `*${at.source}` : "an alias";
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
    if (this.y.isAlias(n)) {
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
    if (this.y.isScalar(n)) return this.scalar(n);
    if (this.y.isSeq(n)) {
      const out: unknown[] = [];
      const items: YamlPos[] = [];
      for (const it of n.items) {
        out.push(this.node(it as YNode, depth + 1));
        items.push(this.pos(it as YNode));
      }
      this.positions.set(out, { pos: this.pos(n), items });
      return out;
    }
    if (this.y.isMap(n)) {
      const obj: Record<string, unknown> = {};
      const order: unknown[] = [];
      const keys = new Map<string, { key: YamlPos; value: YamlPos }>();
      const merges: unknown[] = [];
      for (const pair of n.items) {
        if (!this.y.isPair(pair)) continue;
        const kn = pair.key as YNode | null;
        if (
          this.y.isScalar(kn) && kn.type === "PLAIN" && kn.value === "<<" && !kn.tag
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
