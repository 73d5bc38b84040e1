/**
 * `exp run -S` (dvc-spec §11, §14.2): parse Hydra-style overrides and rewrite
 * params files in place. YAML keeps comments and layout (a changed scalar is
 * spliced into the source text; other edits go through the `yaml` Document
 * API), JSON is re-dumped compactly like Python `json.dump`, TOML and Python
 * files are patched line by line.
 */
import { join } from "node:path";
import type { Scalar } from "npm:yaml@^2.9.1";
import { yaml } from "../../py/yaml_lib.ts";
import { CairnError, DvcFileSyntaxError, UsageError } from "../../errors.ts";
import { writeTextAtomic } from "../../fs/atomic_write.ts";
import { loadYaml } from "../../py/yaml_parse.ts";
import { getParam, paramsFormat, parseParams } from "../../params/load.ts";
import { isPlainMapping, isPyFloat, pyFloatRepr, toNumber } from "../../py/value.ts";
import { pyJsonDumps } from "../../py/json_dumps.ts";

const { isCollection, isMap, isPair, parseDocument, stringify: yamlStringify } = yaml;

export const DEFAULT_PARAMS_FILE = "params.yaml";

export type OverrideKind = "set" | "add" | "force" | "delete";

/** One `-S` item. */
export interface ParamOverride {
  /** repo-relative params file. */
  file: string;
  key: string;
  kind: OverrideKind;
  /** the value text as given (absent for `~key`). */
  raw?: string;
  value?: unknown;
}

/** A `-S` value that refers to a missing key without `+`/`++`. */
export class ParamOverrideError extends CairnError {}

/** Commas outside brackets/quotes mean a sweep (a choice list). */
function isSweep(raw: string): boolean {
  if (/^(range|choice|interval|glob)\(/.test(raw.trim())) return true;
  let depth = 0;
  let quote = "";
  for (const ch of raw) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") depth--;
    else if (ch === "," && depth === 0) return true;
  }
  return false;
}

/** Parse `[file:][+|++|~]key[=value]`. */
export function parseOverride(text: string): ParamOverride {
  const eq = text.indexOf("=");
  const head = eq === -1 ? text : text.slice(0, eq);
  const colon = head.lastIndexOf(":");
  const file = colon === -1 ? DEFAULT_PARAMS_FILE : head.slice(0, colon);
  let key = colon === -1 ? head : head.slice(colon + 1);
  let kind: OverrideKind = "set";
  if (key.startsWith("++")) [kind, key] = ["force", key.slice(2)];
  else if (key.startsWith("+")) [kind, key] = ["add", key.slice(1)];
  else if (key.startsWith("~")) [kind, key] = ["delete", key.slice(1)];
  key = key.trim();
  if (!key || !file) throw new ParamOverrideError(`invalid -S/--set-param value '${text}'`);
  if (kind === "delete") return { file, key, kind };
  if (eq === -1) {
    throw new ParamOverrideError(`invalid -S/--set-param value '${text}': expected key=value`);
  }
  const raw = text.slice(eq + 1);
  if (isSweep(raw)) {
    throw new ParamOverrideError(
      `Sweep overrides can't be used without \`--queue\` ('${text}')`,
    );
  }
  const value = raw.trim() === "" ? "" : loadYaml(raw, "-S value");
  return { file, key, kind, raw: raw.trim(), value };
}

/** Python literal of a value (for `.py` params files). */
function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (isPyFloat(v)) return pyFloatRepr(toNumber(v)!);
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(pyLiteral).join(", ")}]`;
  if (isPlainMapping(v)) {
    return `{${
      Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyLiteral(x)}`).join(", ")
    }}`;
  }
  return String(v);
}

/** TOML literal of a value. */
function tomlLiteral(v: unknown): string {
  if (v === true || v === false) return String(v);
  if (isPyFloat(v)) {
    const r = pyFloatRepr(toNumber(v)!);
    return r === "inf" ? "inf" : r === "-inf" ? "-inf" : r;
  }
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(tomlLiteral).join(", ")}]`;
  if (v === null || v === undefined) return '""';
  return JSON.stringify(v);
}

function segsOf(key: string): (string | number)[] {
  return key.split(".").map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

/** A float as ruamel writes Python floats (`1.0`, `0.001`, `1.0e-05`, `.inf`). */
function yamlFloat(n: number): string {
  if (Number.isNaN(n)) return ".nan";
  if (n === Infinity) return ".inf";
  if (n === -Infinity) return "-.inf";
  const r = pyFloatRepr(n);
  return r.includes(".") || !r.includes("e") ? r : r.replace("e", ".0e");
}

/**
 * YAML flow text of an override value with the types DVC gives it: `1.0`
 * stays a float, `1e-3` is written `0.001`, strings are quoted only when
 * YAML would read them as something else.
 */
export function yamlFlowText(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (v === true || v === false) return String(v);
  if (isPyFloat(v)) return yamlFloat(toNumber(v)!);
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return yamlStringify(v, { lineWidth: 0 }).trimEnd();
  if (Array.isArray(v)) return `[${v.map(yamlFlowText).join(", ")}]`;
  if (isPlainMapping(v)) {
    const items = Object.entries(v).map(([k, x]) => `${yamlFlowText(k)}: ${yamlFlowText(x)}`);
    return `{${items.join(", ")}}`;
  }
  return yamlStringify(v).trimEnd();
}

/** A `yaml` node for the value (floats keep their fraction digits), block style. */
function yamlNode(v: unknown): unknown {
  const node = parseDocument(yamlFlowText(v)).contents;
  const unflow = (n: unknown) => {
    if (isCollection(n)) {
      n.flow = false;
      for (const it of n.items) unflow(isPair(it) ? it.value : it);
    }
  };
  unflow(node);
  return node;
}

function yamlScalarText(o: ParamOverride): string {
  const v = o.value;
  if (typeof v === "string" && o.raw !== undefined && !/^["']/.test(o.raw)) {
    // a plain string that YAML reads back as the same string stays as typed
    try {
      if (loadYaml(o.raw, "-S") === v && !o.raw.includes("\n")) return o.raw;
    } catch (err) {
      if (!(err instanceof DvcFileSyntaxError)) throw err; // else quote it below
    }
  }
  return yamlFlowText(v);
}

/** Block-style YAML lines of a value at column 0 (ruamel's layout: `- ` at the key's column). */
function blockLines(v: unknown): string[] {
  const nonEmpty = (x: unknown) =>
    (Array.isArray(x) && x.length > 0) || (isPlainMapping(x) && Object.keys(x).length > 0);
  if (Array.isArray(v) && v.length) {
    return v.flatMap((x) => {
      const inner = isPlainMapping(x) && nonEmpty(x) ? blockLines(x) : [yamlFlowText(x)];
      return inner.map((l, i) => (i === 0 ? "- " : "  ") + l);
    });
  }
  if (isPlainMapping(v) && nonEmpty(v)) {
    return Object.entries(v).flatMap(([k, x]) => {
      const key = `${yamlFlowText(k)}:`;
      if (Array.isArray(x) && x.length) return [key, ...blockLines(x)];
      if (nonEmpty(x)) return [key, ...blockLines(x).map((l) => "  " + l)];
      return [`${key} ${yamlFlowText(x)}`];
    });
  }
  return [yamlFlowText(v)];
}

/** `blockLines` joined, lines after the first indented by `col` spaces. */
function blockText(v: unknown, col: number): string {
  return blockLines(v).join("\n" + " ".repeat(col));
}

function columnOf(text: string, pos: number): number {
  return pos - (text.lastIndexOf("\n", pos - 1) + 1);
}

/**
 * Edit the text of a block collection in place: replace `node` (a block
 * collection) or append `key: value` to the block mapping `parent`. Returns
 * undefined when the layout is not one this handles (the caller re-dumps).
 */
function spliceBlock(
  text: string,
  o: ParamOverride,
  node: unknown,
  parent: unknown,
): string | undefined {
  if (isCollection(node) && !node.flow && node.range) {
    const [start, end] = node.range;
    const pair = isMap(parent) ? parent.items.find((p) => p.value === node) : undefined;
    const keyEnd = (pair?.key as { range?: number[] } | undefined)?.range?.[1];
    if (!Array.isArray(o.value) && !isPlainMapping(o.value) && keyEnd !== undefined) {
      // a scalar replacing a block collection goes after the key: `key: value`
      const colon = text.indexOf(":", keyEnd);
      const trail = /\s*$/.exec(text.slice(start, end))![0];
      return text.slice(0, colon + 1) + " " + yamlFlowText(o.value) + trail + text.slice(end);
    }
    const trail = /\s*$/.exec(text.slice(start, end))![0];
    const rendered = blockText(o.value, columnOf(text, start));
    return text.slice(0, start) + rendered + trail + text.slice(end);
  }
  if (node === undefined && isMap(parent) && !parent.flow && parent.items.length) {
    const first = parent.items[0].key as { range?: [number, number, number] };
    const last = parent.items[parent.items.length - 1];
    const lastEnd = (last.value as { range?: number[] } | null)?.range?.[2] ??
      (last.key as { range?: number[] }).range?.[2];
    if (!first?.range || lastEnd === undefined) return undefined;
    let pos = lastEnd;
    while (pos > 0 && /\s/.test(text[pos - 1])) pos--;
    const nl = text.indexOf("\n", pos);
    const at = nl === -1 ? text.length : nl;
    const col = columnOf(text, first.range[0]);
    const pair = { [String(segsOf(o.key).at(-1))]: o.value };
    return text.slice(0, at) + "\n" + " ".repeat(col) + blockText(pair, col) + text.slice(at);
  }
  return undefined;
}

function editYaml(text: string, items: ParamOverride[]): string {
  for (const o of items) {
    // uniqueKeys off: the library checks duplicates in quadratic time; parseParams did it
    const doc = parseDocument(text, { keepSourceTokens: true, uniqueKeys: false });
    const segs = segsOf(o.key);
    if (o.kind === "delete") {
      doc.deleteIn(segs);
      text = doc.toString();
      continue;
    }
    const node = doc.getIn(segs, true);
    const isScalarValue = !Array.isArray(o.value) && !isPlainMapping(o.value);
    // scalars and flow collections are spliced into the text (comments and layout kept)
    const splice = (node instanceof yaml.Scalar && isScalarValue) ||
      (isCollection(node) && node.flow);
    if (splice && (node as Scalar).range) {
      const [start, end] = (node as Scalar).range!;
      text = text.slice(0, start) + yamlScalarText(o) + text.slice(end);
      continue;
    }
    if (doc.contents === null) {
      text = blockText(setPlain({}, o.key, o.value), 0) + "\n";
      continue;
    }
    const parent = segs.length > 1 ? doc.getIn(segs.slice(0, -1), true) : doc.contents;
    const spliced = spliceBlock(text, o, node, parent);
    if (spliced !== undefined) {
      text = spliced;
      continue;
    }
    doc.setIn(segs, yamlNode(o.value));
    text = doc.toString();
  }
  return text;
}

function setPlain(data: unknown, key: string, value: unknown): unknown {
  const segs = key.split(".");
  let cur = data as Record<string, unknown>;
  for (const s of segs.slice(0, -1)) {
    const next = Array.isArray(cur) ? cur[Number(s)] : cur[s];
    if (next === undefined || next === null || typeof next !== "object") {
      (cur as Record<string, unknown>)[s] = {};
    }
    cur = (Array.isArray(cur) ? cur[Number(s)] : cur[s]) as Record<string, unknown>;
  }
  const last = segs[segs.length - 1];
  if (Array.isArray(cur)) cur[Number(last)] = value;
  else cur[last] = value;
  return data;
}

function deletePlain(data: unknown, key: string): void {
  const segs = key.split(".");
  let cur = data as Record<string, unknown>;
  for (const s of segs.slice(0, -1)) cur = cur?.[s] as Record<string, unknown>;
  if (!cur) return;
  const last = segs[segs.length - 1];
  if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else delete cur[last];
}

/** Replace `name = ...` (a top-level or `[section]` key) line by line. */
function editLines(
  text: string,
  items: ParamOverride[],
  fmt: "toml" | "py",
  file: string,
): string {
  const lines = text.split("\n");
  for (const o of items) {
    if (o.kind === "delete") {
      throw new UsageError(`'~${o.key}': deleting keys of '${file}' is not supported`);
    }
    const segs = o.key.split(".");
    const name = segs[segs.length - 1];
    const parents = segs.slice(0, -1);
    const lit = fmt === "toml" ? tomlLiteral(o.value) : pyLiteral(o.value);
    let section: string[] = [];
    let done = false;
    for (let i = 0; i < lines.length && !done; i++) {
      const line = lines[i];
      const sec = fmt === "toml"
        ? /^\s*\[([^\]]+)\]\s*$/.exec(line)
        : /^class\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(line);
      if (sec) {
        section = sec[1].trim().split(".");
        continue;
      }
      if (fmt === "py" && /^\S/.test(line)) section = [];
      const re = fmt === "py"
        ? new RegExp(`^(\\s*(?:self\\.)?${name}\\s*(?::[^=]*)?=\\s*)(.*)$`)
        : new RegExp(`^(\\s*"?${name}"?\\s*=\\s*)(.*)$`);
      const m = re.exec(line);
      if (m && section.join(".") === parents.join(".")) {
        const comment = /\s+#.*$/.exec(m[2])?.[0] ?? "";
        lines[i] = m[1] + lit + comment;
        done = true;
      }
    }
    if (!done) {
      if (fmt === "toml" && parents.length === 0) {
        // top-level keys must come before the first table
        const first = lines.findIndex((l) => /^\s*\[/.test(l));
        lines.splice(first === -1 ? lines.length : first, 0, `${name} = ${lit}`);
      } else if (fmt === "py" && parents.length === 0) {
        const at = lines.at(-1) === "" ? lines.length - 1 : lines.length;
        lines.splice(at, 0, `${name} = ${lit}`);
      } else {
        throw new UsageError(`cannot add '${o.key}' to '${file}': add it to the file first`);
      }
    }
  }
  return lines.join("\n");
}

/** Check every override against the current file contents (before any is written). */
function checkOverrides(file: string, data: unknown, items: ParamOverride[]): void {
  for (const o of items) {
    const hit = getParam(data, o.key);
    if (o.kind === "set" && !hit.found) {
      throw new ParamOverrideError(
        `Could not override '${o.key}': no such key in '${file}'`,
        { hint: `To append it use '+${o.key}=...' (or '++${o.key}=...' to add or override)` },
      );
    }
    if (o.kind === "add" && hit.found) {
      throw new ParamOverrideError(
        `Could not append to '${file}': '${o.key}' already exists`,
        { hint: `To override it use '${o.key}=...' or '++${o.key}=...'` },
      );
    }
    if (o.kind === "delete" && !hit.found) {
      throw new ParamOverrideError(`Could not delete '${o.key}': no such key in '${file}'`);
    }
  }
}

/**
 * The new text of every params file the overrides touch (repo-relative file
 * -> text), all checked first; nothing is written. An unknown key fails
 * here, naming the file and the key.
 */
export function overriddenTexts(root: string, overrides: ParamOverride[]): Map<string, string> {
  const byFile = new Map<string, ParamOverride[]>();
  for (const o of overrides) byFile.set(o.file, [...(byFile.get(o.file) ?? []), o]);
  const edits = new Map<string, string>();
  for (const [file, items] of byFile) {
    const abs = join(root, file);
    let text = "";
    try {
      text = Deno.readTextFileSync(abs);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      if (items.some((o) => o.kind !== "add" && o.kind !== "force")) {
        throw new ParamOverrideError(`params file '${file}' does not exist`);
      }
    }
    const data = text ? parseParams(text, file) : {};
    checkOverrides(file, data, items);
    const fmt = paramsFormat(file);
    let out: string;
    if (fmt === "yaml") out = editYaml(text, items);
    else if (fmt === "json") {
      for (const o of items) {
        if (o.kind === "delete") deletePlain(data, o.key);
        else setPlain(data, o.key, o.value);
      }
      out = pyJsonDumps(data);
    } else out = editLines(text, items, fmt, file);
    edits.set(file, out);
  }
  return edits;
}

/**
 * Apply overrides to the params files under `root`; all are checked before
 * any file is written. Returns the repo-relative files changed.
 */
export function applyOverrides(root: string, overrides: ParamOverride[]): string[] {
  const edits = overriddenTexts(root, overrides);
  for (const [file, out] of edits) writeTextAtomic(join(root, file), out);
  return [...edits.keys()];
}
