/**
 * gitignore pattern matching (the syntax of `.dvcignore`), as git applies it:
 * the last matching line wins, `!` re-includes, a trailing `/` matches
 * directories only, a `/` at the start or in the middle anchors the pattern
 * to the file's directory, `**` spans directories, `*`, `?` and `[...]` never
 * match `/`, and nothing inside an excluded directory can be re-included.
 * Case-sensitive, as git and pathspec on Linux. A plain ES module: the npm
 * `ignore` package it replaces is CommonJS and cost start-up (issue 16).
 * Checked against `git check-ignore` in tests/unit/fs/gitignore_test.ts.
 */

/** One compiled line of an ignore file. */
export interface IgnoreRule {
  /** the line as written. */
  pattern: string;
  /** 1-based line number in the file. */
  line: number;
  negate: boolean;
  dirOnly: boolean;
  regex: RegExp;
}

/** What the rules say about one path (as the `ignore` package reports it). */
export interface IgnoreResult {
  ignored: boolean;
  /** a `!` rule matched last. */
  unignored: boolean;
  /** the rule that decided, if any. */
  rule?: IgnoreRule;
}

const POSIX_CLASSES: Record<string, string> = {
  alnum: "a-zA-Z0-9",
  alpha: "a-zA-Z",
  blank: " \\t",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "\\x21-\\x7e",
  lower: "a-z",
  print: "\\x20-\\x7e",
  punct: "!-\\/:-@\\[-`{-~",
  space: " \\t\\n\\r\\f\\v",
  upper: "A-Z",
  xdigit: "0-9A-Fa-f",
};

const escapeRe = (c: string) => c.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");

/** `[...]` starting at `s[i] === "["`: [regex, index after `]`], or undefined if unclosed. */
function charClass(s: string, i: number): [string, number] | undefined {
  let j = i + 1;
  let negate = false;
  if (s[j] === "!" || s[j] === "^") {
    negate = true;
    j++;
  }
  let body = "";
  let first = true;
  for (; j < s.length; j++) {
    const c = s[j];
    if (c === "]" && !first) {
      return [negate ? `[^/${body}]` : `(?!/)[${body}]`, j + 1];
    }
    first = false;
    if (c === "[" && s[j + 1] === ":") {
      const end = s.indexOf(":]", j + 2);
      const cls = end < 0 ? undefined : POSIX_CLASSES[s.slice(j + 2, end)];
      if (cls !== undefined) {
        body += cls;
        j = end + 1;
        continue;
      }
    }
    if (c === "\\" && j + 1 < s.length) {
      body += escapeRe(s[++j]);
    } else if (c === "-" && body !== "" && s[j + 1] !== "]" && j + 1 < s.length) {
      body += "-";
    } else {
      body += escapeRe(c);
    }
  }
  return undefined;
}

/** The regex source of one path component's glob (no `/` inside). */
function globPart(s: string): string {
  let out = "";
  for (let i = 0; i < s.length;) {
    const c = s[i];
    if (c === "\\") {
      // a trailing lone backslash matches nothing in git
      if (i + 1 >= s.length) return "(?!)";
      out += escapeRe(s[i + 1]);
      i += 2;
    } else if (c === "*") {
      out += "[^/]*";
      i++;
    } else if (c === "?") {
      out += "[^/]";
      i++;
    } else if (c === "[") {
      const cls = charClass(s, i);
      if (cls === undefined) return "(?!)"; // git: an unclosed bracket never matches
      out += cls[0];
      i = cls[1];
    } else {
      out += escapeRe(c);
      i++;
    }
  }
  return out;
}

/** Compile one line; undefined for blanks and comments. */
export function compileRule(text: string, line = 1): IgnoreRule | undefined {
  let s = text;
  if (s === "" || s.startsWith("#")) return undefined;
  // trailing spaces go unless escaped ("foo\ " keeps one)
  s = s.replace(/(?<!\\)( +)$/, "");
  if (s === "") return undefined;
  let negate = false;
  if (s.startsWith("!")) {
    negate = true;
    s = s.slice(1);
  }
  let dirOnly = false;
  if (s.endsWith("/") && !s.endsWith("\\/")) {
    dirOnly = true;
    s = s.replace(/\/+$/, "");
  }
  if (s === "") return undefined;
  const anchored = s.slice(0, -1).includes("/") || s.startsWith("/");
  const parts = s.replace(/^\//, "").split("/");
  let re = "";
  parts.forEach((p, k) => {
    const last = k === parts.length - 1;
    if (p === "**") {
      if (last) re += k === 0 ? ".*" : ".+"; // `a/**`: everything inside a
      else re += "(?:[^/]*/)*"; // `**/`: zero or more directories
      return;
    }
    re += globPart(p) + (last ? "" : "/");
  });
  const source = anchored ? `^${re}$` : `^(?:.*/)?${re}$`;
  return { pattern: text, line, negate, dirOnly, regex: new RegExp(source) };
}

/** The rules of one ignore file, tested against paths relative to its directory. */
export class GitIgnore {
  readonly rules: IgnoreRule[] = [];

  constructor(lines: Iterable<string> = []) {
    this.add(lines);
  }

  /** Append lines (numbered after those already added). */
  add(lines: Iterable<string>): this {
    let n = this.#lines;
    for (const l of lines) {
      n++;
      const r = compileRule(l, n);
      if (r) this.rules.push(r);
    }
    this.#lines = n;
    return this;
  }
  #lines = 0;

  /**
   * The last rule matching `path` itself (relative to this file's
   * directory), without looking at its parent directories: for combining
   * several ignore files as git does (lib/scm/git_ignored.ts).
   */
  match(path: string, isDir: boolean): IgnoreRule | undefined {
    return this.#match(path, isDir);
  }

  /** The last rule matching `path` itself (no parent check). */
  #match(path: string, isDir: boolean): IgnoreRule | undefined {
    for (let i = this.rules.length - 1; i >= 0; i--) {
      const r = this.rules[i];
      if (r.dirOnly && !isDir) continue;
      if (r.regex.test(path)) return r;
    }
    return undefined;
  }

  /**
   * `path` relative to this file's directory; a trailing `/` marks a
   * directory. An excluded parent directory excludes it, whatever later
   * `!` lines say.
   */
  test(path: string): IgnoreResult {
    const isDir = path.endsWith("/");
    const rel = isDir ? path.slice(0, -1) : path;
    let at = rel.indexOf("/");
    while (at >= 0) {
      const r = this.#match(rel.slice(0, at), true);
      if (r && !r.negate) return { ignored: true, unignored: false, rule: r };
      at = rel.indexOf("/", at + 1);
    }
    const r = this.#match(rel, isDir);
    if (!r) return { ignored: false, unignored: false };
    return { ignored: !r.negate, unignored: r.negate, rule: r };
  }

  /** True when `path` is excluded. */
  ignores(path: string): boolean {
    return this.test(path).ignored;
  }
}
