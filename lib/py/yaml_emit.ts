/**
 * YAML writer reproducing DVC's output byte for byte: ruamel.yaml (0.18.16,
 * round-trip dumper, `default_flow_style = False`, YAML 1.2) as DVC 3.64
 * configures it (dvc-spec §0.2). A port of the parts of ruamel's Emitter that
 * plain data reaches: block mappings and sequences (sequences not indented
 * under their key), empty `[]`/`{}`, plain / single-quoted / double-quoted
 * scalars with ruamel's style choice and line folding at width 80 (columns in
 * code points). The state variables keep ruamel's names so the two can be
 * compared line by line.
 *
 * Input: null/undefined (written empty, `key:` / `- `), booleans, ints
 * (number/bigint), floats (non-integral number or PyFloat, Python repr),
 * strings, arrays, plain objects (file key order honoured, see
 * lib/py/value.ts) and Maps.
 */
import { isPlainMapping, isPyFloat, mapEntries, PyFloat, pyFloatRepr, toNumber } from "./value.ts";

/** Serialize a document as DVC writes dvc.yaml / dvc.lock / .dvc files. */
export function emitYaml(value: unknown): string {
  const e = new Emitter();
  e.emitDocument(value);
  return e.out.join("");
}

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const MAX_SIMPLE_KEY_LENGTH = 128;
const WS = "\0 \t\r\n\x85\u2028\u2029";
const BREAKS = "\n\x85\u2028\u2029";

interface Scalar {
  /** text as the representer produced it (str(int), repr(float), ...). */
  text: string;
  /** true if the text, written plain, reads back as the same type. */
  implicit: boolean;
}

/** How ruamel represents a scalar value. */
function representScalar(v: unknown): Scalar {
  if (v === null || v === undefined) return { text: "", implicit: true };
  if (typeof v === "boolean") {
    return { text: v ? "true" : "false", implicit: true };
  }
  if (typeof v === "bigint") return { text: v.toString(), implicit: true };
  if (typeof v === "number" || v instanceof PyFloat) {
    const n = toNumber(v)!;
    if (!isPyFloat(v)) return { text: String(n), implicit: true };
    if (Number.isNaN(n)) return { text: ".nan", implicit: true };
    if (n === Infinity) return { text: ".inf", implicit: true };
    if (n === -Infinity) return { text: "-.inf", implicit: true };
    return { text: pyFloatRepr(n), implicit: true };
  }
  if (typeof v === "string") {
    return { text: v, implicit: resolvesToStr(v) };
  }
  throw new TypeError(`cannot represent ${typeof v} in YAML`);
}

// ruamel's YAML 1.2 implicit resolvers (resolver.py), applied to plain text.
const RESOLVERS: [string, RegExp][] = [
  ["tTfF", /^(?:true|True|TRUE|false|False|FALSE)$/],
  [
    "-+0123456789.",
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  ],
  [
    "-+0123456789",
    /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/,
  ],
  ["<", /^(?:<<)$/],
  ["~nN", /^(?:~|null|Null|NULL)$/],
  [
    "0123456789",
    /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  ],
  ["=", /^(?:=)$/],
  ["!&*", /^(?:!|&|\*)$/],
];

/** Would `text`, written as a plain scalar, load back as a string (YAML 1.2, ruamel)? */
export function resolvesToStr(text: string): boolean {
  if (text === "") return false; // resolves to null
  const first = text[0];
  for (const [firsts, re] of RESOLVERS) {
    if (firsts.includes(first) && re.test(text)) return false;
  }
  return true;
}

function scalarTag(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "string") return "str";
  return isPyFloat(v) ? "float" : "int";
}

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

/** Emitter.analyze_scalar (allow_unicode on; block styles never chosen here). */
function analyzeScalar(cps: string[]): Analysis {
  if (cps.length === 0) {
    return {
      empty: true,
      multiline: false,
      allowBlockPlain: true,
      allowSingleQuoted: true,
    };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  const s = cps.join("");
  if (s.startsWith("---") || s.startsWith("...")) blockIndicators = true;
  let preceededByWhitespace = true;
  let followedByWhitespace = cps.length === 1 || WS.includes(cps[1]);
  let previousSpace = false;
  let previousBreak = false;
  for (let index = 0; index < cps.length;) {
    const ch = cps[index];
    if (index === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) blockIndicators = true;
      if ("?:".includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === "-" && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ":" && followedByWhitespace) blockIndicators = true;
      if (ch === "#" && preceededByWhitespace) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    if (!(ch === "\n" || (ch >= "\x20" && ch <= "\x7E"))) {
      const cp = ch.codePointAt(0)!;
      const printable = ch === "\x85" ||
        (cp >= 0xa0 && cp <= 0xd7ff) ||
        (cp >= 0xe000 && cp <= 0xfffd) ||
        (cp >= 0x10000 && cp <= 0x10ffff);
      if (!printable || cp === 0xfeff) specialCharacters = true;
    }
    if (ch === " ") {
      if (index === 0) leadingSpace = true;
      if (index === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    index++;
    preceededByWhitespace = WS.includes(ch);
    followedByWhitespace = index + 1 >= cps.length ||
      WS.includes(cps[index + 1]);
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
    allowBlockPlain = false;
  }
  if (breakSpace) allowBlockPlain = allowSingleQuoted = false;
  if (specialCharacters || spaceBreak) {
    allowBlockPlain = allowSingleQuoted = false;
  }
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return {
    empty: false,
    multiline: lineBreaks,
    allowBlockPlain,
    allowSingleQuoted,
  };
}

/** Emitter.choose_scalar_style for an implicit-tagged, unstyled event. */
function chooseStyle(
  sc: Scalar,
  a: Analysis,
  simpleKey: boolean,
): "" | "'" | '"' {
  if (
    sc.implicit && !(simpleKey && (a.empty || a.multiline)) &&
    a.allowBlockPlain
  ) {
    return "";
  }
  if (sc.text.includes("'") || sc.text.includes("\n")) return '"';
  if (a.allowSingleQuoted && !(simpleKey && a.multiline)) return "'";
  return '"';
}

const ESCAPE_REPLACEMENTS: Record<string, string> = {
  "\0": "0",
  "\x07": "a",
  "\x08": "b",
  "\x09": "t",
  "\x0A": "n",
  "\x0B": "v",
  "\x0C": "f",
  "\x0D": "r",
  "\x1B": "e",
  '"': '"',
  "\\": "\\",
  "\x85": "N",
  "\xA0": "_",
  "\u2028": "L",
  "\u2029": "P",
};

type Node = { kind: "scalar"; value: unknown } | {
  kind: "seq";
  items: unknown[];
} | { kind: "map"; entries: [unknown, unknown][] };

function classify(v: unknown): Node {
  if (Array.isArray(v)) return { kind: "seq", items: v };
  if (v instanceof Map || isPlainMapping(v)) {
    return { kind: "map", entries: mapEntries(v as object) };
  }
  return { kind: "scalar", value: v };
}

class Emitter {
  out: string[] = [];
  indent: number | null = null;
  indents: [number | null, boolean][] = [];
  flowLevel = 0;
  column = 0;
  whitespace = true;
  indention = true;
  noNewline = false;
  rootContext = false;
  sequenceContext = false;
  mappingContext = false;
  simpleKeyContext = false;
  topLevelNone = false;

  write(data: string, len = cpLen(data)): void {
    this.out.push(data);
    this.column += len;
  }

  emitDocument(value: unknown): void {
    // RoundTripRepresenter writes a top-level None as `null`.
    this.topLevelNone = value === null || value === undefined;
    this.expectNode(value, { root: true });
    this.writeIndent(); // expect_document_end
  }

  increaseIndent(flow: boolean, sequence: boolean, indentless = false): void {
    this.indents.push([this.indent, sequence]);
    if (this.indent === null) {
      this.indent = flow ? null : 0;
    } else if (!indentless) {
      this.indent += BEST_INDENT;
    }
  }

  popIndent(): void {
    this.indent = this.indents.pop()![0];
  }

  expectNode(
    value: unknown,
    ctx: {
      root?: boolean;
      sequence?: boolean;
      mapping?: boolean;
      simpleKey?: boolean;
    },
  ): void {
    this.rootContext = !!ctx.root;
    this.sequenceContext = !!ctx.sequence;
    this.mappingContext = !!ctx.mapping;
    this.simpleKeyContext = !!ctx.simpleKey;
    const node = classify(value);
    if (node.kind === "scalar") {
      this.increaseIndent(true, false);
      this.processScalar(node.value);
      this.popIndent();
    } else if (node.kind === "seq") {
      if (node.items.length === 0) this.emptyFlow("[", "]", true);
      else this.expectBlockSequence(node.items);
    } else {
      if (node.entries.length === 0) this.emptyFlow("{", "}", false);
      else this.expectBlockMapping(node.entries);
    }
  }

  /** expect_flow_sequence / expect_flow_mapping for an empty collection. */
  emptyFlow(open: string, close: string, sequence: boolean): void {
    let ind = 0;
    const last = this.indents[this.indents.length - 1];
    if (this.indents.length >= 2 && last[1]) {
      ind = (last[0] ?? 0) + BEST_INDENT - this.column - 1;
    }
    this.writeIndicator(" ".repeat(Math.max(ind, 0)) + open, true, true);
    this.increaseIndent(true, sequence);
    this.flowLevel++;
    this.popIndent();
    this.flowLevel--;
    this.writeIndicator(close, false);
    if (this.flowLevel === 0) this.writeLineBreak();
  }

  expectBlockSequence(items: unknown[]): void {
    const indentless = this.mappingContext ? !this.indention : false;
    this.increaseIndent(false, true, indentless);
    for (const item of items) {
      const nonl = this.column === 0 ? this.noNewline : false;
      this.writeIndent();
      this.writeIndicator("-", true, false, true);
      if (nonl) this.noNewline = true;
      this.expectNode(item, { sequence: true });
    }
    this.popIndent();
    this.noNewline = false;
  }

  expectBlockMapping(entries: [unknown, unknown][]): void {
    this.increaseIndent(false, false);
    for (const [k, v] of entries) {
      this.writeIndent();
      if (this.checkSimpleKey(k)) {
        this.expectNode(k, { mapping: true, simpleKey: true });
        this.writeIndicator(":", false);
        this.expectNode(v, { mapping: true });
      } else {
        this.writeIndicator("?", true, false, true);
        this.expectNode(k, { mapping: true });
        this.writeIndent();
        this.writeIndicator(":", true, false, true);
        this.expectNode(v, { mapping: true });
      }
    }
    this.popIndent();
  }

  checkSimpleKey(k: unknown): boolean {
    const node = classify(k);
    if (node.kind !== "scalar") return false;
    const sc = representScalar(node.value);
    const cps = Array.from(sc.text);
    // ruamel counts the prepared tag too (`!!str`, `!!int`, `!!null`, ...).
    const tagLen = 2 + scalarTag(node.value).length;
    return cps.length + tagLen < MAX_SIMPLE_KEY_LENGTH &&
      !analyzeScalar(cps).multiline;
  }

  processScalar(value: unknown): void {
    const sc = value === null || value === undefined
      ? { text: this.topLevelNone && this.rootContext ? "null" : "", implicit: true }
      : representScalar(value);
    const cps = Array.from(sc.text);
    const style = chooseStyle(sc, analyzeScalar(cps), this.simpleKeyContext);
    const split = !this.simpleKeyContext;
    if (this.sequenceContext && !this.flowLevel) this.writeIndent();
    if (style === '"') this.writeDoubleQuoted(cps, split);
    else if (style === "'") this.writeSingleQuoted(cps, split);
    else this.writePlain(cps, split);
  }

  writeIndicator(
    indicator: string,
    needWhitespace: boolean,
    whitespace = false,
    indention = false,
  ): void {
    const data = this.whitespace || !needWhitespace ? indicator : " " + indicator;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.write(data);
  }

  writeIndent(): void {
    const indent = this.indent ?? 0;
    if (
      !this.indention || this.column > indent ||
      (this.column === indent && !this.whitespace)
    ) {
      if (this.noNewline) this.noNewline = false;
      else this.writeLineBreak();
    }
    if (this.column < indent) {
      this.whitespace = true;
      this.write(" ".repeat(indent - this.column));
    }
  }

  writeLineBreak(data = "\n"): void {
    this.whitespace = true;
    this.indention = true;
    this.out.push(data);
    this.column = 0;
  }

  /** The run of line breaks `text[start, end)` inside a scalar (a leading "\n" doubled), then the indent. */
  writeBreaks(text: string[], start: number, end: number): void {
    if (text[start] === "\n") this.writeLineBreak();
    for (const br of text.slice(start, end)) {
      this.writeLineBreak(br === "\n" ? "\n" : br);
    }
    this.writeIndent();
  }

  writeSingleQuoted(text: string[], split: boolean): void {
    this.writeIndicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch === null || ch !== " ") {
          if (
            start + 1 === end && this.column > BEST_WIDTH && split &&
            start !== 0 && end !== text.length
          ) {
            this.writeIndent();
          } else {
            this.write(text.slice(start, end).join(""), end - start);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          this.writeBreaks(text, start, end);
          start = end;
        }
      } else {
        if (ch === null || " \n\x85\u2028\u2029".includes(ch) || ch === "'") {
          if (start < end) {
            this.write(text.slice(start, end).join(""), end - start);
            start = end;
          }
        }
      }
      if (ch === "'") {
        this.write("''", 2);
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === " ";
        breaks = BREAKS.includes(ch);
      }
      end++;
    }
    this.writeIndicator("'", false);
  }

  writeDoubleQuoted(text: string[], split: boolean): void {
    this.writeIndicator('"', true);
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch = end < text.length ? text[end] : null;
      if (
        ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) ||
        !isDoubleQuotedPrintable(ch)
      ) {
        if (start < end) {
          this.write(text.slice(start, end).join(""), end - start);
          start = end;
        }
        if (ch !== null) {
          let data: string;
          const cp = ch.codePointAt(0)!;
          if (ch in ESCAPE_REPLACEMENTS) data = "\\" + ESCAPE_REPLACEMENTS[ch];
          else if (cp <= 0xff) data = "\\x" + hex(cp, 2);
          else if (cp <= 0xffff) data = "\\u" + hex(cp, 4);
          else data = "\\U" + hex(cp, 8);
          this.write(data);
          start = end + 1;
        }
      }
      if (
        end > 0 && end < text.length - 1 && (ch === " " || start >= end) &&
        this.column + (end - start) > BEST_WIDTH && split
      ) {
        const needBackslash = doubleQuotedFoldNeedsBackslash(text, start, end);
        const data = text.slice(start, end).join("") + (needBackslash ? "\\" : "");
        const len = Math.max(end - start, 0) + (needBackslash ? 1 : 0);
        if (start < end) start = end;
        this.write(data, len);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (text[start] === " ") {
          // without the backslash the line break itself reads back as the space
          if (needBackslash) this.write("\\", 1);
          else start++;
        }
      }
      end++;
    }
    this.writeIndicator('"', false);
  }

  writePlain(text: string[], split: boolean): void {
    if (text.length === 0) return;
    if (!this.whitespace) this.write(" ", 1);
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let breaks = false;
    let start = 0;
    let end = 0;
    while (end <= text.length) {
      const ch = end < text.length ? text[end] : null;
      if (spaces) {
        if (ch !== " ") {
          if (start + 1 === end && this.column >= BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.write(text.slice(start, end).join(""), end - start);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          this.writeBreaks(text, start, end);
          this.whitespace = false;
          this.indention = false;
          start = end;
        }
      } else {
        if (ch === null || " \n\x85\u2028\u2029".includes(ch)) {
          // ruamel >= 0.18: a word that would cross the width starts a new line
          // (the space before it stays at the end of the broken line).
          if (
            end - start + this.column > BEST_WIDTH && this.indent !== null &&
            this.column > this.indent
          ) {
            this.writeIndent();
          }
          this.write(text.slice(start, end).join(""), end - start);
          start = end;
        }
      }
      if (ch !== null) {
        spaces = ch === " ";
        breaks = BREAKS.includes(ch);
      }
      end++;
    }
  }
}

function isDoubleQuotedPrintable(ch: string): boolean {
  if (ch >= "\x20" && ch <= "\x7E") return true;
  const cp = ch.codePointAt(0)!;
  return (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff);
}

/**
 * ruamel >= 0.18 folds a double-quoted scalar without the `\` escape when
 * the next word is simple (no quotes, followed by a single space and more
 * text): the line break then reads back as the space it replaced.
 */
function doubleQuotedFoldNeedsBackslash(text: string[], start: number, end: number): boolean {
  if (text.length <= end) return true;
  let spacePos = text.indexOf(" ", end);
  if (spacePos < 0) return true;
  const nl = text.slice(end, spacePos).indexOf("\n");
  if (nl >= 0) spacePos = end + nl;
  if (text[spacePos] === "\n" && text[spacePos + 1] !== " ") return true;
  if (spacePos + 1 >= text.length) return true; // Python's IndexError
  const word = text.slice(end, spacePos);
  return word.includes('"') || word.includes("'") || " \n".includes(text[spacePos + 1]) ||
    (text[end - 1] === " " && text[end] === " ") || start === end;
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, "0");
}

function cpLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}
