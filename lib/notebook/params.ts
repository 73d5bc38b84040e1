/**
 * Notebook parameters, papermill's convention: the cell tagged `parameters`
 * holds defaults; given values override them. Python gets papermill's
 * injected cell (`name = repr(value)`) after that cell; TypeScript cannot
 * redeclare a `const`, so the defaults' one-line declarations are rewritten
 * in place and names the cell does not declare are declared after it.
 */
import { CairnError, UsageError } from "../errors.ts";
import { loadYaml } from "../py/yaml_parse.ts";
import { isPlainMapping, PyFloat, toNumber } from "../py/value.ts";
import { pyRepr } from "../py/format.ts";

/** Parameter values by name. */
export type NotebookParams = Record<string, unknown>;

/** Plain JS value of a YAML-parsed one (PyFloat -> number, mappings copied). */
export function plainValue(v: unknown): unknown {
  if (v instanceof PyFloat) return toNumber(v);
  if (Array.isArray(v)) return v.map(plainValue);
  if (isPlainMapping(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plainValue(x)]));
  }
  return v;
}

/** `-p key=value`: the value read as a YAML scalar/flow value (`0.1`, `true`, `[1, 2]`, text). */
export function parseParamArg(arg: string): [string, unknown] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new UsageError(`-p expects key=value, got '${arg}'`);
  const key = arg.slice(0, eq).trim();
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) {
    throw new UsageError(`-p '${arg}': '${key}' is not a valid variable name`);
  }
  const raw = arg.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = plainValue(loadYaml(raw, "-p"));
  } catch (err) {
    if (!(err instanceof CairnError)) throw err;
  }
  return [key, value ?? (raw.trim() === "" ? "" : null)];
}

const DECL =
  /^(\s*(?:export\s+)?(?:const|let|var)\s+)([A-Za-z_$][\w$]*)(\s*(?::[^=]+)?=\s*)(.*?)(;?)(\s*(?:\/\/.*)?)$/;

/** Names declared on one line in a TypeScript parameters cell, with their default text. */
export function tsDeclaredParams(source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of source.split("\n")) {
    const m = DECL.exec(line);
    if (m) out.set(m[2], m[4]);
  }
  return out;
}

/** The TypeScript parameters cell with `params` applied. */
export function tsApplyParams(source: string, params: NotebookParams): string {
  const left = new Map(Object.entries(params));
  const lines = source.split("\n").map((line) => {
    const m = DECL.exec(line);
    if (!m || !left.has(m[2])) return line;
    const value = JSON.stringify(left.get(m[2]));
    left.delete(m[2]);
    return `${m[1]}${m[2]}${m[3]}${value}${m[5] || ";"}${m[6]}`;
  });
  let out = lines.join("\n");
  if (left.size) {
    out += (out.endsWith("\n") ? "" : "\n") + "// injected parameters\n" +
      [...left].map(([k, v]) => `const ${k} = ${JSON.stringify(v)};`).join("\n") + "\n";
  }
  return out;
}

/** Names assigned at the top level of a Python parameters cell (`name = ...`). */
export function pyDeclaredParams(source: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of source.split("\n")) {
    const m = /^([A-Za-z_]\w*)\s*(?::[^=]+)?=(?!=)\s*(.*?)\s*(?:#.*)?$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** papermill's injected cell for Python. */
export function pyInjectedCell(params: NotebookParams): string {
  return "# Parameters\n" +
    Object.entries(params).map(([k, v]) => `${k} = ${pyRepr(v)}\n`).join("");
}

/** Values of `names` among the top-level keys of a params file (missing file: none). */
export function paramsFromFile(path: string, names: Iterable<string>): NotebookParams {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw err;
  }
  const data = plainValue(loadYaml(text, path));
  if (!isPlainMapping(data)) return {};
  const out: NotebookParams = {};
  for (const n of names) if (Object.hasOwn(data, n)) out[n] = data[n];
  return out;
}
