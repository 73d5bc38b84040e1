/**
 * The INI dialect of DVC's config files (Python configobj, as DVC writes it):
 * `[core]`, `['remote "name"']`, 4-space-indented `key = value` lines,
 * values quoted only when they need it. Section and key order is kept.
 */
import { DvcFileSyntaxError } from "../errors.ts";

/** section name (e.g. `core`, `remote "storage"`) -> ordered key -> value. */
export type IniDoc = Map<string, Map<string, string>>;

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) {
    return v.slice(1, -1);
  }
  return v;
}

/** Strip an inline comment (configobj: `#` outside quotes). */
function stripComment(v: string): string {
  let quote = "";
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") return v.slice(0, i);
  }
  return v;
}

export function parseIni(text: string, path: string): IniDoc {
  const doc: IniDoc = new Map();
  let current: Map<string, string> | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    if (line.startsWith("[")) {
      const m = /^\[\s*(.*?)\s*\]\s*(#.*)?$/.exec(line);
      if (!m) {
        throw new DvcFileSyntaxError(path, "invalid section header", {
          line: i + 1,
          column: 1,
        });
      }
      const name = unquote(m[1]);
      current = doc.get(name) ?? new Map();
      doc.set(name, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq <= 0 || !current) {
      throw new DvcFileSyntaxError(
        path,
        current ? "expected 'key = value'" : "value outside of a section",
        { line: i + 1, column: 1 },
      );
    }
    const key = line.slice(0, eq).trim().toLowerCase();
    current.set(key, unquote(stripComment(line.slice(eq + 1))));
  }
  return doc;
}

/**
 * 1-based line of a section header (or of `key` inside that section) in INI
 * text, comparing names case-insensitively as DVC does; undefined when absent.
 */
export function iniLineOf(text: string, section: string, key?: string): number | undefined {
  const lines = text.split(/\r?\n/);
  let inSection = false;
  let header: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.startsWith("[")) {
      const m = /^\[\s*(.*?)\s*\]\s*(#.*)?$/.exec(line);
      inSection = !!m && unquote(m[1]).toLowerCase() === section.toLowerCase();
      if (inSection && header === undefined) header = i + 1;
      if (inSection && key === undefined) return i + 1;
      continue;
    }
    const eq = line.indexOf("=");
    if (inSection && key !== undefined && eq > 0) {
      if (line.slice(0, eq).trim().toLowerCase() === key) return i + 1;
    }
  }
  return header;
}

function quoteValue(v: string): string {
  if (v === "") return '""';
  const needs = /^\s|\s$|[,#]|^["']/.test(v);
  if (!needs) return v;
  return v.includes('"') ? `'${v}'` : `"${v}"`;
}

function isNamedSection(name: string): boolean {
  return /^\s*(remote|machine|db)\s*"(.*)"\s*$/.test(name);
}

/** Serialize as DVC does: plain sections first (existing order), then named ones. */
export function dumpIni(doc: IniDoc): string {
  const names = [...doc.keys()].filter((n) => (doc.get(n)?.size ?? 0) > 0);
  const ordered = [
    ...names.filter((n) => !isNamedSection(n)),
    ...names.filter(isNamedSection),
  ];
  let out = "";
  for (const name of ordered) {
    out += name.includes('"') ? `['${name}']\n` : `[${name}]\n`;
    for (const [k, v] of doc.get(name)!) out += `    ${k} = ${quoteValue(v)}\n`;
  }
  return out;
}
