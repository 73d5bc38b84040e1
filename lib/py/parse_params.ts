/**
 * Python params files as DVC reads them (dvc/utils/serialize/_py.py): the
 * module's top-level `NAME = literal` / `NAME: T = literal` assignments,
 * class bodies (as nested mappings) and `self.x = literal` inside
 * `def __init__`. Values must be literals (`ast.literal_eval`); any other
 * statement is skipped, as DVC skips it. Only the lexical structure is
 * checked: unterminated strings or brackets are reported with their line.
 */
import { DvcFileSyntaxError } from "../errors.ts";
import { PyFloat, pyFloat, pyInt, setKeyOrder } from "./value.ts";

type Tok =
  | { t: "name"; v: string; line: number }
  | { t: "num"; v: string; line: number }
  | { t: "str"; v: string; line: number; f: boolean }
  | { t: "op"; v: string; line: number };

interface Line {
  indent: number;
  toks: Tok[];
  line: number;
}

class Unsupported extends Error {}

/** A statement Python itself refuses (raised deep in block(), reported with the path). */
class PySyntax extends Error {
  constructor(readonly line: number, message: string) {
    super(message);
  }
}
const MAX_BLOCK_DEPTH = 100;

/** Parse the text of a `.py` params file into a mapping. */
export function parsePyParams(text: string, path: string): Record<string, unknown> {
  const lines = logicalLines(text, path);
  try {
    const [result] = block(lines, 0, lines.length ? lines[0].indent : 0, false);
    return result;
  } catch (e) {
    if (!(e instanceof PySyntax)) throw e;
    throw new DvcFileSyntaxError(path, `Python file structure is corrupted: ${e.message}`, {
      line: e.line,
    });
  }
}

const OPS3 = ["**=", "//=", ">>=", "<<=", "..."];
const OPS2 = [
  "**",
  "//",
  "->",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "==",
  "!=",
  "<=",
  ">=",
  ":=",
  "<<",
  ">>",
];

/** Python's own bounds (tokenizer MAXLEVEL, int/str conversion limit); the input is untrusted. */
const MAX_NESTING = 200;
const MAX_INT_DIGITS = 4300;

function logicalLines(text: string, path: string): Line[] {
  const out: Line[] = [];
  let i = 0;
  let line = 1;
  let depth = 0;
  let cur: Tok[] = [];
  let curIndent = 0;
  let curLine = 1;
  let atLineStart = true;
  const fail = (msg: string, at = line): never => {
    throw new DvcFileSyntaxError(path, `Python file structure is corrupted: ${msg}`, {
      line: at,
    });
  };
  const flush = () => {
    if (cur.length) out.push({ indent: curIndent, toks: cur, line: curLine });
    cur = [];
    atLineStart = true;
  };
  while (i < text.length) {
    const c = text[i];
    if (atLineStart && depth === 0) {
      // measure indentation of a new logical line
      let j = i;
      let ind = 0;
      while (j < text.length && (text[j] === " " || text[j] === "\t")) {
        ind += text[j] === "\t" ? 8 - (ind % 8) : 1;
        j++;
      }
      if (j >= text.length) break;
      if (text[j] === "\n" || text[j] === "\r" || text[j] === "#") {
        while (j < text.length && text[j] !== "\n") j++;
        i = j + 1;
        line++;
        continue;
      }
      curIndent = ind;
      curLine = line;
      atLineStart = false;
      i = j;
      continue;
    }
    if (c === "\n") {
      line++;
      i++;
      if (depth === 0) flush();
      continue;
    }
    if (c === " " || c === "\t" || c === "\r" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    if (c === "\\" && (text[i + 1] === "\n" || text.startsWith("\r\n", i + 1))) {
      i += text[i + 1] === "\n" ? 2 : 3;
      line++;
      continue;
    }
    const m = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(text.slice(i, i + 5));
    if (m && (m[1] === "" || /^[a-zA-Z]+$/.test(m[1]))) {
      const prefix = m[1].toLowerCase();
      const q = m[2];
      const startLine = line;
      let j = i + m[0].length;
      let raw = "";
      for (;;) {
        if (j >= text.length) fail("unterminated string", startLine);
        if (text.startsWith(q, j)) break;
        const ch = text[j];
        if (ch === "\n") {
          if (q.length === 1) fail("unterminated string", startLine);
          line++;
        }
        if (ch === "\\" && j + 1 < text.length) {
          if (text[j + 1] === "\n") line++;
          raw += ch + text[j + 1];
          j += 2;
          continue;
        }
        raw += ch;
        j++;
      }
      i = j + q.length;
      let value = raw;
      if (!prefix.includes("r")) {
        try {
          value = unescape(raw);
        } catch (e) {
          // `\xZZ`, `\U7fffffff`: Python refuses the literal too
          if (!(e instanceof RangeError)) throw e;
          fail("(unicode error) invalid \\x, \\u or \\U escape", startLine);
        }
      }
      cur.push({ t: "str", v: value, line: startLine, f: prefix.includes("f") });
      continue;
    }
    if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_\u0080-\uffff]/.test(text[j])) j++;
      cur.push({ t: "name", v: text.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      const n =
        /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9_]+)?[jJ]?)/
          .exec(text.slice(i))!;
      if (/^[0-9_]+$/.test(n[0]) && n[0].replaceAll("_", "").length > MAX_INT_DIGITS) {
        fail(`Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion`);
      }
      cur.push({ t: "num", v: n[0], line });
      i += n[0].length;
      continue;
    }
    const op = OPS3.find((o) => text.startsWith(o, i)) ??
      OPS2.find((o) => text.startsWith(o, i)) ?? c;
    if ("([{".includes(op) && ++depth > MAX_NESTING) fail("too many nested parentheses");
    if (")]}".includes(op)) {
      depth--;
      if (depth < 0) fail(`unmatched '${op}'`);
    }
    cur.push({ t: "op", v: op, line });
    i += op.length;
  }
  if (depth > 0) fail("unexpected EOF (unclosed bracket)");
  flush();
  return out;
}

function unescape(s: string): string {
  return s.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}]*\}|\n|.)/gs,
    (_, e: string) => {
      switch (e[0]) {
        case "n":
          return "\n";
        case "t":
          return "\t";
        case "r":
          return "\r";
        case "a":
          return "\x07";
        case "b":
          return "\b";
        case "f":
          return "\f";
        case "v":
          return "\v";
        case "\n":
          return "";
        case "x":
        case "u":
        case "U":
          return String.fromCodePoint(parseInt(e.slice(1), 16));
        case "N":
          return `\\${e}`;
        default:
          if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
          if (e === "\\" || e === "'" || e === '"') return e;
          return "\\" + e;
      }
    },
  );
}

/** Parse statements at `indent` from lines[start]; returns [result, next index]. */
function block(
  lines: Line[],
  start: number,
  indent: number,
  onlySelf: boolean,
  depth = 0,
): [Record<string, unknown>, number] {
  // Python's tokenizer MAXINDENT
  if (depth > MAX_BLOCK_DEPTH) {
    throw new PySyntax(lines[start]?.line ?? 1, "too many levels of indentation");
  }
  const result: Record<string, unknown> = {};
  const order: string[] = [];
  const set = (k: string, v: unknown) => {
    if (!Object.hasOwn(result, k)) order.push(k);
    result[k] = v;
  };
  let i = start;
  while (i < lines.length && lines[i].indent >= indent) {
    const ln = lines[i];
    if (ln.indent > indent) {
      i++; // body of a statement we skip
      continue;
    }
    const toks = ln.toks;
    const head = toks[0];
    const bodyEnd = () => {
      let j = i + 1;
      while (j < lines.length && lines[j].indent > indent) j++;
      return j;
    };
    if (head.t === "name" && (head.v === "class" || head.v === "def")) {
      const end = bodyEnd();
      const colon = findTopLevelColon(toks);
      const after = toks[colon + 1];
      if (colon >= 0 && after?.t === "name" && (after.v === "class" || after.v === "def")) {
        throw new PySyntax(ln.line, "invalid syntax"); // `class A: class B: ...`
      }
      const inline = colon >= 0 && colon < toks.length - 1
        ? [{ indent: indent + 1, toks: toks.slice(colon + 1), line: ln.line }]
        : [];
      const body = [...inline, ...lines.slice(i + 1, end)];
      const name = toks[1]?.t === "name" ? toks[1].v : undefined;
      if (name && body.length) {
        if (head.v === "class") {
          set(name, block(body, 0, body[0].indent, false, depth + 1)[0]);
        } else if (name === "__init__") {
          const [r] = block(body, 0, body[0].indent, true, depth + 1);
          for (const k of Object.keys(r)) set(k, r[k]);
        }
      }
      i = end;
      continue;
    }
    if (head.t === "op" && head.v === "@") {
      i++; // decorator line
      continue;
    }
    try {
      const a = assignment(toks, onlySelf);
      if (a) set(a[0], a[1]);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
    i++;
  }
  return [setKeyOrder(result, order), i];
}

function findTopLevelColon(toks: Tok[]): number {
  let depth = 0;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.t !== "op") continue;
    if ("([{".includes(t.v)) depth++;
    else if (")]}".includes(t.v)) depth--;
    else if (t.v === ":" && depth === 0) return k;
  }
  return -1;
}

/** `target = value` or `target: T = value`; undefined when not a plain assignment. */
function assignment(toks: Tok[], onlySelf: boolean): [string, unknown] | undefined {
  let depth = 0;
  const eqs: number[] = [];
  let annColon = -1;
  toks.forEach((t, k) => {
    if (t.t !== "op") return;
    if ("([{".includes(t.v)) depth++;
    else if (")]}".includes(t.v)) depth--;
    else if (depth === 0 && t.v === "=") eqs.push(k);
    else if (depth === 0 && t.v === ":" && annColon < 0 && !eqs.length) {
      annColon = k;
    }
  });
  if (!eqs.length || eqs.length > 1) return undefined; // chained or not an assignment
  const targetEnd = annColon >= 0 ? annColon : eqs[0];
  const target = toks.slice(0, targetEnd);
  let name: string | undefined;
  if (target.length === 1 && target[0].t === "name" && !onlySelf) {
    name = target[0].v;
  } else if (
    target.length === 3 && target[0].t === "name" && target[0].v === "self" &&
    target[1].t === "op" && target[1].v === "." && target[2].t === "name"
  ) {
    name = target[2].v;
  }
  if (name === undefined) return undefined;
  const p = new LiteralParser(toks.slice(eqs[0] + 1));
  const value = p.expr();
  if (!p.done()) throw new Unsupported();
  return [name, value];
}

class LiteralParser {
  k = 0;
  constructor(readonly toks: Tok[]) {}
  done(): boolean {
    return this.k >= this.toks.length;
  }
  peek(): Tok | undefined {
    return this.toks[this.k];
  }
  isOp(v: string): boolean {
    const t = this.peek();
    return t?.t === "op" && t.v === v;
  }
  expect(v: string): void {
    if (!this.isOp(v)) throw new Unsupported();
    this.k++;
  }

  /** A top-level expression: a bare tuple `1, 2` is allowed. */
  expr(): unknown {
    const first = this.atom();
    if (!this.isOp(",")) return first;
    const items = [first];
    while (this.isOp(",")) {
      this.k++;
      if (this.done()) break;
      items.push(this.atom());
    }
    return items;
  }

  seq(close: string): unknown[] {
    const items: unknown[] = [];
    while (!this.isOp(close)) {
      items.push(this.atom());
      if (this.isOp(",")) this.k++;
      else if (!this.isOp(close)) throw new Unsupported();
    }
    this.k++;
    return items;
  }

  atom(): unknown {
    const t = this.toks[this.k++];
    if (!t) throw new Unsupported();
    if (t.t === "str") {
      if (t.f) throw new Unsupported();
      let s = t.v;
      while (this.peek()?.t === "str") {
        const n = this.toks[this.k++] as Tok & { f: boolean };
        if (n.f) throw new Unsupported();
        s += n.v;
      }
      return s;
    }
    if (t.t === "num") return number(t.v);
    if (t.t === "name") {
      if (t.v === "True") return true;
      if (t.v === "False") return false;
      if (t.v === "None") return null;
      throw new Unsupported();
    }
    if (t.v === "-" || t.v === "+") {
      const n = this.toks[this.k++];
      if (n?.t !== "num") throw new Unsupported();
      const v = number(n.v);
      if (t.v === "+") return v;
      if (typeof v === "bigint") return pyInt(-v);
      if (v instanceof PyFloat) return pyFloat(-v.value);
      if (isFloatLit(n.v)) return pyFloat(-(v as number));
      return (v as number) === 0 ? 0 : -(v as number); // an int has no -0
    }
    if (t.v === "[") return this.seq("]");
    if (t.v === "(") {
      if (this.isOp(")")) {
        this.k++;
        return [];
      }
      const first = this.atom();
      if (this.isOp(")")) {
        this.k++;
        return first;
      }
      this.expect(",");
      return [first, ...this.seq(")")];
    }
    if (t.v === "{") {
      if (this.isOp("}")) {
        this.k++;
        return setKeyOrder({}, []);
      }
      const first = this.atom();
      if (this.isOp(":")) {
        const obj: Record<string, unknown> = {};
        const order: unknown[] = [];
        let key = first;
        for (;;) {
          this.expect(":");
          const v = this.atom();
          if (key !== null && typeof key === "object") throw new Unsupported();
          const ks = String(key);
          if (!Object.hasOwn(obj, ks)) order.push(key);
          obj[ks] = v;
          if (this.isOp(",")) this.k++;
          if (this.isOp("}")) {
            this.k++;
            return setKeyOrder(obj, order);
          }
          key = this.atom();
        }
      }
      // a set literal: kept as a list
      if (this.isOp("}")) {
        this.k++;
        return [first];
      }
      this.expect(",");
      return [first, ...this.seq("}")];
    }
    throw new Unsupported();
  }
}

function isFloatLit(s: string): boolean {
  return !/^0[xXoObB]/.test(s) && /[.eE]/.test(s);
}

function number(s: string): unknown {
  if (/[jJ]$/.test(s)) throw new Unsupported(); // complex
  const clean = s.replaceAll("_", "");
  if (isFloatLit(s)) return pyFloat(Number(clean));
  if (/^0[oO]/.test(clean)) return pyInt(BigInt("0o" + clean.slice(2)));
  if (/^0[0-9]+$/.test(clean) && /[1-9]/.test(clean)) throw new Unsupported(); // py2 octal
  return pyInt(BigInt(clean));
}
