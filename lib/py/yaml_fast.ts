/**
 * A reader for the block-style YAML subset that dvc.yaml, dvc.lock, `.dvc`
 * files and params files are written in, without the `yaml` package (whose
 * loading costs more than the rest of a no-op `status`, issue 16).
 *
 * It returns exactly what yaml_parse.ts builds from the library (values,
 * key order, positions) or `undefined` for anything it does not handle:
 * flow collections other than one-line lists of scalars, anchors, aliases,
 * tags, merge keys, multi-line plain or quoted scalars, block scalars with
 * indentation indicators or more-indented lines, tabs, control characters,
 * several documents, duplicate keys, errors of any kind. The caller then
 * parses with the library, which reports errors with line and column and
 * applies the hostile-input bounds. tests/unit/py/yaml_fast_test.ts checks
 * both readers agree.
 */
import { keyString, setKeyOrder } from "./value.ts";
import { PosIndex, resolvePlain, YAML_LIMITS, type YamlPos } from "./yaml_pos.ts";

/** Thrown inside the reader: the text is outside the subset. */
class Decline extends Error {}

const decline = (): never => {
  throw new Decline();
};

/** Anything the library treats differently, or that needs its checks. */
// deno-lint-ignore no-control-regex
const UNSUPPORTED_CHARS = /[\x00-\x09\x0b-\x1f\x7f-\x9f\ufeff\ufffe\uffff\u2028\u2029]/;

/** Where nesting stops being worth doing here (the library has the real bound). */
const MAX_DEPTH = 100;

/** Read `text` if it is in the subset, else undefined (then use the library). */
export function fastParseYaml(
  text: string,
  path: string,
): { value: unknown; positions: PosIndex } | undefined {
  if (UNSUPPORTED_CHARS.test(text)) return undefined;
  try {
    return new Reader(text, path).document();
  } catch (err) {
    if (err instanceof Decline) return undefined;
    throw err;
  }
}

interface Line {
  /** offset of the line's first character in the text. */
  start: number;
  /** the line without its newline. */
  raw: string;
  /** leading spaces. */
  indent: number;
  /** true for blank and comment-only lines. */
  skip: boolean;
}

/** A plain scalar may not start with these (or needs handling the subset has not). */
const PLAIN_FIRST_BAD = new Set([..."-?:,[]{}#&*!|>'\"%@`"]);

class Reader {
  lines: Line[] = [];
  /** index of the next line to read. */
  i = 0;
  positions: PosIndex;

  constructor(readonly text: string, path: string) {
    this.positions = new PosIndex(path);
    let start = 0;
    while (start <= text.length) {
      let end = text.indexOf("\n", start);
      if (end < 0) end = text.length;
      const raw = text.slice(start, end);
      let indent = 0;
      while (raw.charCodeAt(indent) === 32) indent++;
      const skip = indent === raw.length || raw[indent] === "#";
      this.lines.push({ start, raw, indent, skip });
      start = end + 1;
    }
  }

  pos(line: number, col: number): YamlPos {
    return { line: line + 1, column: col + 1 };
  }

  /** Skip blank and comment lines; the next content line or undefined. */
  peek(): Line | undefined {
    while (this.i < this.lines.length && this.lines[this.i].skip) this.i++;
    return this.lines[this.i];
  }

  document(): { value: unknown; positions: PosIndex } {
    let first = this.peek();
    if (first && first.indent === 0 && /^---(?:[ ]+#.*|[ ]*)$/.test(first.raw)) {
      this.i++;
      first = this.peek();
    }
    let value: unknown = null;
    if (first) {
      if (first.raw.startsWith("%")) decline();
      value = this.block(first.indent, -1, 0);
      if (this.peek()) decline(); // more content: a second document, `...`, or bad indentation
    }
    return { value, positions: this.positions };
  }

  /** A block mapping or sequence whose first line is the next content line, at `indent`. */
  block(indent: number, parentIndent: number, depth: number): unknown {
    if (depth > MAX_DEPTH) decline();
    const line = this.peek()!;
    if (line.indent !== indent || indent <= parentIndent) decline();
    if (isDash(line.raw, indent)) return this.sequence(indent, depth, false);
    return this.mapping(indent, this.i, depth);
  }

  /** A block sequence at `indent`; `underKey`: the value of a key at the same indentation. */
  sequence(indent: number, depth: number, underKey: boolean, inLine?: number): unknown[] {
    if (depth > MAX_DEPTH) decline();
    const out: unknown[] = [];
    const items: YamlPos[] = [];
    const at = inLine ?? this.i;
    for (;;) {
      if (inLine !== undefined) {
        // `- - x`: the first item is on the enclosing item's line
        this.i = inLine;
        inLine = undefined;
      } else {
        const line = this.peek();
        if (!line || line.indent < indent) break;
        if (line.indent > indent) decline();
        if (!isDash(line.raw, indent)) {
          if (underKey) break; // the next key of the mapping
          decline();
        }
      }
      const ln = this.i;
      const raw = this.lines[ln].raw;
      let col = indent + 1;
      while (raw[col] === " ") col++;
      if (col >= raw.length || raw[col] === "#") {
        // `-` alone: the item is on the next lines, or null
        this.i++;
        const next = this.peek();
        if (next && next.indent > indent) {
          const v = this.block(next.indent, indent, depth + 1);
          items.push(this.positions.of(v)!);
          out.push(v);
        } else {
          out.push(null);
          items.push(this.pos(ln, col));
        }
        continue;
      }
      if (isDash(raw, col)) {
        const v = this.sequence(col, depth + 1, false, ln);
        out.push(v);
        items.push(this.pos(ln, col));
        continue;
      }
      if (this.keyEnd(raw, col) >= 0) {
        // `- key: value`: a mapping whose keys line up at `col`
        out.push(this.mapping(col, ln, depth + 1));
        items.push(this.pos(ln, col));
        continue;
      }
      const { value, pos } = this.inlineValue(ln, col, indent, depth + 1);
      out.push(value);
      items.push(pos);
    }
    this.positions.set(out, { pos: this.pos(at, indent), items });
    return out;
  }

  /**
   * A mapping whose first key is on line `first` at column `indent` (its
   * following keys on lines of their own at that column).
   */
  mapping(indent: number, first: number, depth: number): object {
    if (depth > MAX_DEPTH) decline();
    const obj: Record<string, unknown> = {};
    const order: unknown[] = [];
    const keys = new Map<string, { key: YamlPos; value: YamlPos }>();
    let ln = first;
    for (;;) {
      const raw = this.lines[ln].raw;
      const colon = this.keyEnd(raw, indent);
      if (colon < 0) decline();
      const keyText = this.keyText(raw, indent, colon);
      const k = resolvePlainKey(keyText);
      const ks = keyString(k);
      if (ks === "<<" || Object.hasOwn(obj, ks)) decline(); // merge key, duplicate (library errors)
      const keyPos = this.pos(ln, indent);
      let col = colon + 1;
      while (raw[col] === " ") col++;
      let value: unknown;
      let valuePos: YamlPos;
      if (col >= raw.length || raw[col] === "#") {
        // value on the next lines (more indented, or a sequence at this indentation), or null
        this.i = ln + 1;
        const next = this.peek();
        if (
          next && (next.indent > indent || (next.indent === indent && isDash(next.raw, indent)))
        ) {
          value = next.indent > indent
            ? this.block(next.indent, indent, depth + 1)
            : this.sequence(indent, depth + 1, true);
          valuePos = this.positions.of(value)!;
        } else {
          value = null;
          valuePos = this.pos(ln, col);
        }
      } else {
        ({ value, pos: valuePos } = this.inlineValue(ln, col, indent, depth + 1));
      }
      obj[ks] = value;
      order.push(k);
      keys.set(ks, { key: keyPos, value: valuePos });
      const next = this.peek();
      if (!next || next.indent < indent) break;
      if (next.indent > indent) decline();
      ln = this.i;
    }
    setKeyOrder(obj, order);
    this.positions.set(obj, { pos: this.pos(first, indent), keys });
    return obj;
  }

  /**
   * Index of the `:` ending a simple key that starts at `col`, or -1 when
   * the line has no (simple) key there.
   */
  keyEnd(raw: string, col: number): number {
    const c = raw[col];
    if (c === '"' || c === "'") {
      const end = quotedEnd(raw, col);
      if (end < 0) return -1;
      let j = end;
      while (raw[j] === " ") j++;
      return raw[j] === ":" && (j + 1 === raw.length || raw[j + 1] === " ") ? j : -1;
    }
    for (let j = col; j < raw.length; j++) {
      if (raw[j] === ":" && (j + 1 === raw.length || raw[j + 1] === " ")) return j;
      if (raw[j] === "#" && raw[j - 1] === " ") return -1;
    }
    return -1;
  }

  /** The key's text, checked to be a scalar the subset reads like the library does. */
  keyText(raw: string, col: number, colon: number): string | QuotedKey {
    const c = raw[col];
    if (c === '"' || c === "'") {
      const end = quotedEnd(raw, col);
      return new QuotedKey(unquote(raw.slice(col, end)));
    }
    const t = raw.slice(col, colon).trimEnd();
    if (t === "" || badPlainStart(t, 0) || t.includes(": ") || t.includes(" #")) decline();
    return t;
  }

  /** A value that starts on line `ln` at `col` (after `key: ` or `- `). */
  inlineValue(
    ln: number,
    col: number,
    indent: number,
    depth: number,
  ): { value: unknown; pos: YamlPos } {
    const raw = this.lines[ln].raw;
    const pos = this.pos(ln, col);
    const c = raw[col];
    this.i = ln + 1;
    if (c === "|" || c === ">") return { value: this.blockScalar(ln, col, indent), pos };
    let value: unknown;
    if (c === '"' || c === "'") {
      const end = quotedEnd(raw, col);
      if (end >= 0) {
        restIsComment(raw, end);
        value = unquote(raw.slice(col, end));
      } else value = this.multiLineQuoted(ln, col, indent);
    } else if (c === "[") {
      value = this.flowList(ln, col, depth);
    } else if (c === "{") {
      if (!/^\{\}[ ]*(?:#.*)?$/.test(raw.slice(col))) decline();
      value = setKeyOrder({}, []);
      this.positions.set(value as object, { pos, keys: new Map() });
    } else {
      if (badPlainStart(raw, col)) decline();
      let end = raw.length;
      const hash = raw.indexOf(" #", col);
      if (hash >= 0) end = hash;
      const t = raw.slice(col, end).trimEnd();
      if (t.includes(": ") || t.endsWith(":")) decline();
      value = hash >= 0 ? plainValue(t) : this.plainContinued(t, indent);
    }
    // continued on more-indented lines (a multi-line plain scalar, or an error): library
    const next = this.peek();
    if (next && next.indent > indent) decline();
    return { value, pos };
  }

  /**
   * A plain scalar whose first line is `first`, continued on the following
   * more-indented lines (ruamel wraps long values so): lines joined by a
   * space, blank lines kept as newlines.
   */
  plainContinued(first: string, indent: number): unknown {
    let s = first;
    let k = this.i;
    let blanks = 0;
    let continued = false;
    for (; k < this.lines.length; k++) {
      const l = this.lines[k];
      if (l.indent === l.raw.length) {
        blanks++;
        continue;
      }
      if (l.indent <= indent || l.raw[l.indent] === "#") break; // ends the scalar
      let end = l.raw.length;
      const hash = l.raw.indexOf(" #");
      if (hash >= 0) end = hash;
      const t = l.raw.slice(l.indent, end).trimEnd();
      if (badPlainStart(t, 0) || t.includes(": ") || t.endsWith(":")) decline();
      s += blanks ? "\n".repeat(blanks) : " ";
      s += t;
      blanks = 0;
      continued = true;
      if (hash >= 0) {
        k++;
        break; // a comment ends it
      }
    }
    if (!continued) return plainValue(first);
    this.i = k;
    const v = plainValue(s);
    return typeof v === "string" ? v : decline(); // a number split over lines: library
  }

  /** A quoted scalar that starts on line `ln` at `col` and ends on a later line. */
  multiLineQuoted(ln: number, col: number, indent: number): string {
    const q = this.lines[ln].raw[col];
    const parts = [this.lines[ln].raw.slice(col + 1).trimEnd()];
    if (/\\[ ]+$/.test(this.lines[ln].raw)) decline(); // an escaped space at the break
    let k = ln + 1;
    let end = -1;
    for (; k < this.lines.length; k++) {
      const raw = this.lines[k].raw;
      if (this.lines[k].indent === raw.length) {
        parts.push("");
        continue;
      }
      if (this.lines[k].indent <= indent) decline();
      end = quotedEnd(q + raw.slice(this.lines[k].indent), 0);
      if (end >= 0) {
        end += this.lines[k].indent - 1;
        parts.push(raw.slice(this.lines[k].indent, end - 1).trim());
        restIsComment(raw, end);
        break;
      }
      if (/\\[ ]+$/.test(raw)) decline();
      parts.push(raw.trim());
    }
    if (end < 0) decline();
    this.i = k + 1;
    // a double-quoted line ending in an odd number of `\` escapes its line break: no space
    const escapesBreak = (p: string) => q === '"' && /(?:^|[^\\])(?:\\\\)*\\$/.test(p);
    let body = parts[0];
    let escaped = escapesBreak(body);
    if (escaped) body = body.slice(0, -1);
    let blanks = 0;
    for (let x = 1; x < parts.length; x++) {
      const p = parts[x];
      const last = x === parts.length - 1;
      if (p === "" && !last) {
        if (escaped) decline();
        blanks++;
        continue;
      }
      body += (escaped ? "" : blanks ? "\n".repeat(blanks) : " ") + p;
      blanks = 0;
      escaped = !last && escapesBreak(p);
      if (escaped) body = body.slice(0, -1);
    }
    return unquote(q + body + q);
  }

  /** `[a, "b", 1]` on one line, of scalars only. */
  flowList(ln: number, col: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) decline();
    const raw = this.lines[ln].raw;
    const out: unknown[] = [];
    const items: YamlPos[] = [];
    let j = col + 1;
    const skipSpaces = () => {
      while (raw[j] === " ") j++;
    };
    skipSpaces();
    if (raw[j] === "]") {
      j++;
    } else {
      for (;;) {
        skipSpaces();
        const c = raw[j];
        if (c === '"' || c === "'") {
          const end = quotedEnd(raw, j);
          if (end < 0) decline();
          out.push(unquote(raw.slice(j, end)));
          items.push(this.pos(ln, j));
          j = end;
        } else {
          if (c === undefined || badPlainStart(raw, j)) decline();
          let end = j;
          while (end < raw.length && !",[]{}#".includes(raw[end])) end++;
          const t = raw.slice(j, end).trimEnd();
          if (t.includes(":")) decline();
          out.push(plainValue(t));
          items.push(this.pos(ln, j));
          j = end;
        }
        skipSpaces();
        if (raw[j] === ",") {
          j++;
          skipSpaces();
          if (raw[j] === "]") decline(); // trailing comma: leave to the library
          continue;
        }
        if (raw[j] === "]") {
          j++;
          break;
        }
        decline();
      }
    }
    restIsComment(raw, j);
    this.positions.set(out, { pos: this.pos(ln, col), items });
    return out;
  }

  /** `|`, `|-`, `|+`, `>`, `>-`, `>+` whose header is on line `ln` at `col`. */
  blockScalar(ln: number, col: number, indent: number): string {
    const raw = this.lines[ln].raw;
    const m = /^([|>])([-+]?)[ ]*(?:#.*)?$/.exec(raw.slice(col));
    if (!m) return decline(); // indentation indicators and the rest
    const folded = m[1] === ">";
    const chomp = m[2];
    // content lines: the first non-blank one sets the indentation
    let k = ln + 1;
    const body: string[] = [];
    let contentIndent = -1;
    for (; k < this.lines.length; k++) {
      const l = this.lines[k];
      const blank = l.indent === l.raw.length;
      if (contentIndent < 0) {
        if (blank) {
          if (k === this.lines.length - 1) break; // text end
          decline(); // leading blank lines (their spaces matter): library
        }
        if (l.indent <= indent) break;
        contentIndent = l.indent;
      }
      if (blank) {
        if (l.raw.length > contentIndent) decline();
        if (k === this.lines.length - 1) break; // the empty string after the final newline
        body.push("");
        continue;
      }
      if (l.indent < contentIndent) break;
      if (folded && l.indent > contentIndent) decline(); // more-indented lines fold differently
      body.push(l.raw.slice(contentIndent));
    }
    // `k` is the first line after the scalar; a missing final newline changes the chomping
    if (k >= this.lines.length && !this.text.endsWith("\n")) decline();
    this.i = k;
    let trailing = 0;
    while (body.length && body[body.length - 1] === "") {
      body.pop();
      trailing++;
    }
    if (!body.length) return decline(); // empty scalar: library
    let s: string;
    if (folded) {
      s = body[0];
      for (let x = 1; x < body.length; x++) {
        if (body[x] === "") {
          let n = 0;
          while (body[x] === "") {
            n++;
            x++;
          }
          s += "\n".repeat(n) + body[x];
        } else s += " " + body[x];
      }
    } else s = body.join("\n");
    if (chomp === "-") return s;
    if (chomp === "+") return s + "\n" + "\n".repeat(trailing);
    return s + "\n";
  }
}

/** `-` followed by a space or the line's end at `col`: a sequence entry. */
function isDash(raw: string, col: number): boolean {
  return raw[col] === "-" && (col + 1 === raw.length || raw[col + 1] === " ");
}

/** Can a plain scalar not start at `col` (`-1`, `-x`, `:x` can; `- x`, `&a`, `[` cannot)? */
function badPlainStart(raw: string, col: number): boolean {
  const c = raw[col];
  if (c === "-" || c === "?" || c === ":") {
    const n = raw[col + 1];
    return n === undefined || n === " " || ",[]{}".includes(n);
  }
  return PLAIN_FIRST_BAD.has(c);
}

/** A key written in quotes: always a string, never resolved. */
class QuotedKey {
  constructor(readonly text: string) {}
}

function resolvePlainKey(k: string | QuotedKey): unknown {
  return k instanceof QuotedKey ? k.text : plainValue(k);
}

/** A plain scalar's value, declining what the library would check or refuse. */
function plainValue(t: string): unknown {
  if (t.length > YAML_LIMITS.intDigits && /^[-+]?[0-9]/.test(t)) decline();
  const v = resolvePlain(t);
  if (v === undefined) decline();
  return v;
}

/** Only spaces and a comment may follow a value on its line. */
function restIsComment(raw: string, j: number): void {
  while (raw[j] === " ") j++;
  if (j < raw.length && !(raw[j] === "#" && raw[j - 1] === " ")) decline();
}

/** Index just past the closing quote of the quoted scalar at `col`, or -1. */
function quotedEnd(raw: string, col: number): number {
  const q = raw[col];
  for (let j = col + 1; j < raw.length; j++) {
    const c = raw[j];
    if (q === "'") {
      if (c === "'") {
        if (raw[j + 1] === "'") {
          j++;
          continue;
        }
        return j + 1;
      }
    } else if (c === "\\") j++;
    else if (c === '"') return j + 1;
  }
  return -1;
}

const ESCAPES: Record<string, string> = {
  "\\": "\\",
  '"': '"',
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  " ": " ",
};

/** The value of a one-line quoted scalar (with its quotes). */
function unquote(q: string): string {
  const body = q.slice(1, -1);
  if (q[0] === "'") return body.replaceAll("''", "'");
  if (!body.includes("\\")) return body;
  let out = "";
  for (let j = 0; j < body.length; j++) {
    const c = body[j];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++j];
    if (e === "u" && /^[0-9a-fA-F]{4}$/.test(body.slice(j + 1, j + 5))) {
      const code = parseInt(body.slice(j + 1, j + 5), 16);
      if (code >= 0xd800 && code <= 0xdfff) decline(); // surrogate halves: library
      out += String.fromCharCode(code);
      j += 4;
    } else if (Object.hasOwn(ESCAPES, e)) out += ESCAPES[e];
    else decline();
  }
  return out;
}
