/**
 * `${...}` templating of dvc.yaml (dvc-spec §3.6), after DVC's
 * dvc/parsing/context.py + interpolate.py: a context of values that remember
 * where they came from (params file or inline vars), recursive merging with
 * redefinition errors, dotted/indexed lookup, type-keeping whole-string
 * references, `\${` escapes, dict-in-cmd expansion to CLI flags, and
 * tracking of the file-sourced values each stage used ("tracked vars").
 */
import {
  isPlainMapping,
  isPyFloat,
  keyString,
  mapEntries,
  PyFloat,
  pyFloatRepr,
  toNumber,
} from "../py/value.ts";
import { ordered } from "./_entries.ts";

/** A templating failure; pipeline_file adds file/line/stage. */
export class ResolveError extends Error {}

export interface Meta {
  /** params file (repo-relative) or `vars[0]`-like label; null for temporaries. */
  source: string | null;
  /** path of the node inside its source. */
  dpaths: string[];
  /** true for inline vars / foreach items: not tracked. */
  local: boolean;
}

export type CNode = CValue | CDict | CList;

export class CValue {
  constructor(readonly raw: unknown, readonly meta: Meta) {}
  get value(): unknown {
    return this.raw;
  }
}

export class CList {
  data: CNode[];
  constructor(values: unknown[], readonly meta: Meta) {
    this.data = values.map((v, i) => convert(v, child(meta, String(i))));
  }
  get value(): unknown[] {
    return this.data.map((n) => n.value);
  }
}

export class CDict {
  data = new Map<string, CNode>();
  constructor(readonly meta: Meta, src?: unknown) {
    if (src !== undefined) {
      for (const [k, v] of mapEntries(src as object)) {
        // DVC's context only keeps string keys.
        if (typeof k !== "string") continue;
        this.data.set(k, convert(v, child(meta, k)));
      }
    }
  }
  get value(): Record<string, unknown> {
    return ordered([...this.data].map(([k, n]) => [k, n.value]));
  }
}

function child(meta: Meta, key: string): Meta {
  return { ...meta, dpaths: [...meta.dpaths, key] };
}

function convert(v: unknown, meta: Meta): CNode {
  if (v instanceof CValue || v instanceof CList || v instanceof CDict) return v;
  if (Array.isArray(v)) return new CList(v, meta);
  if (isPlainMapping(v)) return new CDict(meta, v);
  return new CValue(v, meta);
}

function isNode(v: unknown): v is CNode {
  return v instanceof CValue || v instanceof CList || v instanceof CDict;
}

/** Python type name for messages. */
function pyType(v: unknown): string {
  if (v instanceof CDict) return "CtxDict";
  if (v instanceof CList) return "CtxList";
  if (v instanceof CValue) return pyType(v.raw);
  if (v === null || v === undefined) return "NoneType";
  if (typeof v === "string") return "str";
  if (typeof v === "boolean") return "bool";
  if (isPyFloat(v)) return "float";
  if (typeof v === "number" || typeof v === "bigint") return "int";
  if (Array.isArray(v)) return "list";
  return "dict";
}

/** Value in the tracking record of one stage: source file -> dotted key -> value. */
export type TrackedVars = Record<string, Record<string, unknown>>;

export interface ParsingConfig {
  /** `parsing.bool`: "store_true" (default) or "boolean_optional". */
  bool?: string;
  /** `parsing.list`: "nargs" (default) or "append". */
  list?: string;
}

export class Context {
  root: CDict;
  /** loaded files: path -> selected keys (null = whole file). */
  imports = new Map<string, string[] | null>();
  reserved = new Set<string>();
  tracking: TrackedVars | null = null;

  constructor(root?: CDict) {
    this.root = root ?? new CDict({ source: null, dpaths: [], local: true });
  }

  clone(): Context {
    const c = new Context(cloneDict(this.root));
    for (const [k, v] of this.imports) c.imports.set(k, v ? [...v] : null);
    c.reserved = new Set(this.reserved);
    return c;
  }

  has(key: string): boolean {
    return this.root.data.has(key);
  }

  /** Merge `other` in; redefining a non-mapping value is an error. */
  mergeUpdate(other: CDict, overwrite = false): void {
    const clash = [...this.reserved].filter((k) => other.data.has(k));
    if (clash.length) {
      throw new ResolveError(
        `attempted to modify reserved key${clash.length > 1 ? "s" : ""} ${
          clash.map((k) => `'${k}'`).join(" and ")
        }`,
      );
    }
    merge(this.root, other, overwrite);
  }

  /**
   * Load a `vars` file entry `path[:k1,k2]` relative to `wdir` (repo-relative).
   * `read(path)` returns the parsed file or throws.
   */
  mergeFrom(item: string, wdir: string, read: (path: string) => unknown): void {
    const colon = item.indexOf(":");
    const file = colon < 0 ? item : item.slice(0, colon);
    const keysStr = colon < 0 ? "" : item.slice(colon + 1);
    const path = normJoin(wdir, file);
    const keys = keysStr ? keysStr.split(",").filter(Boolean) : null;
    if (this.imports.has(path)) {
      const imported = this.imports.get(path)!;
      if (!keys && imported === null) return; // same whole file again: no-op
      if (!keys && imported !== null) {
        throw new ResolveError(`cannot load '${item}' as it's partially loaded already`);
      }
      if (keys && imported === null) {
        throw new ResolveError(`cannot partially load '${item}' as it's already loaded.`);
      }
      if (keys && imported && keys.some((k) => imported.includes(k))) {
        throw new ResolveError(`cannot load '${item}' as it's partially loaded already`);
      }
    }
    let data = read(path);
    if (!isPlainMapping(data)) {
      throw new ResolveError(
        `expected a dictionary, got '${pyType(data)}' in file '${path}'`,
      );
    }
    if (keys) {
      const sel: [string, unknown][] = [];
      for (const k of keys) {
        if (!Object.hasOwn(data, k)) {
          throw new ResolveError(`could not find '${k}' in '${path}'`);
        }
        sel.push([k, (data as Record<string, unknown>)[k]]);
      }
      data = ordered(sel);
    }
    const node = new CDict({ source: path, dpaths: [], local: false }, data);
    try {
      this.mergeUpdate(node);
    } catch (e) {
      if (e instanceof ResolveError && e.message.startsWith("attempted")) {
        throw new ResolveError(`${e.message} in '${item}'`);
      }
      throw e;
    }
    const prev = this.imports.get(path);
    if (prev === undefined) this.imports.set(path, keys);
    else if (keys && prev) prev.push(...keys);
  }

  /** `vars` list of a dvc.yaml (top: stageName ""). */
  loadVars(
    vars: unknown[],
    wdir: string,
    read: (path: string) => unknown,
    stageName = "",
  ): void {
    vars.forEach((item, index) => {
      if (typeof item === "string") this.mergeFrom(item, wdir, read);
      else {
        const joiner = stageName ? "." : "";
        const meta = { source: `${stageName}${joiner}vars[${index}]`, dpaths: [], local: true };
        this.mergeUpdate(new CDict(meta, item));
      }
    });
  }

  /** Temporarily set `item`/`key` (reserved) while `fn` runs. */
  withTemporarily<T>(values: Record<string, unknown>, fn: () => T): T {
    const prev = new Map<string, CNode | undefined>();
    const newlyReserved: string[] = [];
    for (const [k, v] of Object.entries(values)) {
      prev.set(k, this.root.data.get(k));
      this.root.data.set(k, convert(v, { source: null, dpaths: [k], local: true }));
      if (!this.reserved.has(k)) {
        this.reserved.add(k);
        newlyReserved.push(k);
      }
    }
    try {
      return fn();
    } finally {
      for (const [k, v] of prev) {
        if (v === undefined) this.root.data.delete(k);
        else this.root.data.set(k, v);
      }
      for (const k of newlyReserved) this.reserved.delete(k);
    }
  }

  /** Look up `a.b[0].c`; tracks file-sourced values. */
  select(key: string): CNode {
    const normalized = key.replaceAll("[", ".").replaceAll("]", "");
    let node: CNode = this.root;
    let rest = normalized;
    for (;;) {
      const dot = rest.indexOf(".");
      const index = (dot < 0 ? rest : rest.slice(0, dot)).trim();
      const rem = dot < 0 ? undefined : rest.slice(dot + 1);
      let next: CNode | undefined;
      if (node instanceof CDict) next = node.data.get(index);
      else if (node instanceof CList) {
        if (/^[-+]?[0-9]+$/.test(index)) {
          let i = Number(index);
          if (i < 0) i += node.data.length;
          next = node.data[i];
        }
      }
      if (next === undefined) throw new ResolveError(`Could not find '${key}'`);
      node = next;
      if (rem === undefined) break;
      if (node instanceof CValue) throw new ResolveError(`Could not find '${key}'`);
      rest = rem;
    }
    this.track(node);
    return node;
  }

  private track(node: CNode): void {
    if (!this.tracking || node.meta.local || !node.meta.source) return;
    if (node instanceof CDict) return; // DVC tracks values and lists only
    const file = (this.tracking[node.meta.source] ??= {});
    file[node.meta.dpaths.join(".")] = node.value;
  }
}

function cloneDict(d: CDict): CDict {
  const c = new CDict(d.meta);
  for (const [k, v] of d.data) c.data.set(k, v instanceof CDict ? cloneDict(v) : v);
  return c;
}

function merge(into: CDict, update: CDict, overwrite: boolean): void {
  for (const [key, val] of update.data) {
    const cur = into.data.get(key);
    if (cur instanceof CDict && val instanceof CDict) {
      merge(cur, val, overwrite);
      continue;
    }
    if (cur !== undefined && !overwrite) {
      throw new ResolveError(
        `cannot redefine '${val.meta.dpaths.join(".")}' from '${
          val.meta.source ?? "<local>"
        }' as it already exists in '${cur.meta.source ?? "<local>"}'`,
      );
    }
    into.data.set(key, val);
  }
}

function normJoin(wdir: string, file: string): string {
  const parts: string[] = [];
  for (const p of (wdir ? `${wdir}/${file}` : file).split("/")) {
    if (p === "" || p === ".") continue;
    if (p === ".." && parts.length && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/");
}

// ---------------------------------------------------------------------------
// Interpolation

/** `(?<!\\)\${(?P<inner>.*?)}` */
const KEYCRE = /(?<!\\)\$\{(.*?)\}/;
const EXPR_RE = /^[^.[\]]+(?:\.[^.[\]]+|\[[^.[\]]+\])*$/;

export function hasInterpolation(s: string): boolean {
  return KEYCRE.test(s);
}

function matches(s: string): RegExpExecArray[] {
  return [...s.matchAll(new RegExp(KEYCRE.source, "g"))];
}

/** Check the syntax of every `${...}` in `s` (pyparsing grammar of DVC). */
export function checkExpression(s: string): void {
  for (const m of matches(s)) parseExpr(m[1]);
}

function parseExpr(inner: string): string {
  if (!EXPR_RE.test(inner)) {
    throw new ResolveError(`invalid interpolation '\${${inner}}'`);
  }
  return inner.replaceAll("[", ".").replaceAll("]", "");
}

/** Python `str()` of a context value (True, None, float repr). */
function pyStr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number" || v instanceof PyFloat) {
    return isPyFloat(v) ? floatStr(toNumber(v)!) : String(v);
  }
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function floatStr(n: number): string {
  return pyFloatRepr(n);
}

/**
 * DVC's `to_str`: bool -> `true`/`false`, dict -> CLI flags, a context node
 * -> Python `str()` of its value, anything else Python `str()`.
 */
export function toStr(v: unknown, config: ParsingConfig = {}): string {
  if (isNode(v)) {
    // singledispatch sees the node type: Value.__str__ is str(value).
    if (v instanceof CValue) return pyStr(v.raw);
    return pyStr(v.value);
  }
  if (typeof v === "boolean") return v ? "true" : "false";
  if (isPlainMapping(v)) return dictToArgs(v, config);
  return pyStr(v);
}

function dictToArgs(obj: Record<string, unknown>, config: ParsingConfig): string {
  let result = "";
  for (const [k, v] of flattenDict(obj)) {
    if (typeof v === "boolean") {
      if (v) result += `--${k} `;
      else if ((config.bool ?? "store_true") === "boolean_optional") result += `--no-${k} `;
    } else if (typeof v === "string") {
      result += `--${k} ${shellQuote(v)} `;
    } else if (Array.isArray(v)) {
      v.forEach((item, n) => {
        let s: string;
        if (typeof item === "string") s = shellQuote(item);
        else if (Array.isArray(item) || isPlainMapping(item)) {
          throw new ResolveError(`Cannot interpolate nested iterable in '${k}'`);
        } else s = pyStr(item);
        if ((config.list ?? "nargs") === "append") result += `--${k} ${s} `;
        else result += n > 0 ? `${s} ` : `--${k} ${s} `;
      });
    } else {
      result += `--${k} ${pyStr(v)} `;
    }
  }
  return result.trimEnd();
}

function flattenDict(obj: Record<string, unknown>, prefix = ""): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of mapEntries(obj)) {
    const key = prefix ? `${prefix}.${keyString(k)}` : keyString(k);
    if (isPlainMapping(v)) {
      if (Object.keys(v).length) out.push(...flattenDict(v, key));
    } else out.push([key, v]);
  }
  return out;
}

/** POSIX `shlex.quote`. */
export function shellQuote(s: string): string {
  if (s === "") return "''";
  if (!/[^\w@%+=:,./-]/.test(s)) return s;
  return "'" + s.replaceAll("'", `'"'"'`) + "'";
}

function isPrimitive(v: unknown): boolean {
  return v === null || v === undefined || typeof v === "string" ||
    typeof v === "boolean" || typeof v === "number" || typeof v === "bigint" ||
    v instanceof PyFloat;
}

function validateValue(value: unknown, key: string | undefined): void {
  const notPrimitive = !isPrimitive(value);
  const notForeach = key !== undefined && !key.includes("foreach");
  if (notPrimitive && notForeach) {
    if (isPlainMapping(value) && key === "cmd") return;
    throw new ResolveError(`Cannot interpolate data of type '${pyType(value)}'`);
  }
}

export interface ResolveOptions {
  /** the top-level stage key being resolved (`cmd`, `deps`, ...); none for foreach/matrix. */
  key?: string;
  /** keep context nodes (foreach/matrix data) instead of plain values. */
  keepNodes?: boolean;
  config?: ParsingConfig;
  /** called with (container, key) of the innermost string on error. */
  at?: (container: unknown, key: string | number) => void;
  /** where `src` itself sits, for `at` (container, key). */
  origin?: [unknown, string | number];
}

/** Resolve every string (and mapping key) inside `src`. */
export function resolveData(ctx: Context, src: unknown, opts: ResolveOptions = {}): unknown {
  const walk = (v: unknown, container: unknown, k: string | number): unknown => {
    if (typeof v === "string") {
      try {
        return resolveStr(ctx, v, opts);
      } catch (e) {
        opts.at?.(container, k);
        throw e;
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, v, i));
    if (isPlainMapping(v)) {
      const out: [string, unknown][] = [];
      for (const [key, x] of mapEntries(v)) {
        const ks = keyString(key);
        const rk = typeof key === "string" ? walk(key, v, ks) : key;
        out.push([keyString(rk), walk(x, v, ks)]);
      }
      return ordered(out);
    }
    return v;
  };
  return walk(src, opts.origin?.[0], opts.origin?.[1] ?? "");
}

/** Resolve one string: a lone `${x}` keeps x's type, else string interpolation. */
export function resolveStr(ctx: Context, src: string, opts: ResolveOptions = {}): unknown {
  const ms = matches(src);
  if (ms.length === 1 && ms[0][0] === src) {
    const node = ctx.select(parseExpr(ms[0][1]));
    const value = opts.keepNodes ? node : node.value;
    validateValue(node.value, opts.key);
    if (opts.key === "cmd" && isPlainMapping(value)) return toStr(value, opts.config);
    return value;
  }
  let buf = "";
  let index = 0;
  for (const m of ms) {
    const node = ctx.select(parseExpr(m[1]));
    const value = node.value;
    validateValue(value, opts.key);
    buf += src.slice(index, m.index) + toStr(value, opts.config);
    index = m.index! + m[0].length;
  }
  buf += src.slice(index);
  return buf.replaceAll("\\${", "${");
}

/** Unwrap a value that may hold context nodes (foreach/matrix data). */
export function unwrap(v: unknown): unknown {
  if (isNode(v)) return v.value;
  if (Array.isArray(v)) return v.map(unwrap);
  if (isPlainMapping(v)) {
    return ordered(mapEntries(v).map(([k, x]) => [keyString(k), unwrap(x)]));
  }
  return v;
}

export { isNode };
