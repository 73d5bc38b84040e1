/**
 * JSON as Python's `json.loads` reads it: `1.0` stays a float (PyFloat),
 * big ints stay exact (bigint), NaN/Infinity accepted, object key order kept
 * (also for "0"-like keys), a duplicate key keeps its first place and last value.
 */
import { DvcFileSyntaxError } from "../errors.ts";
import { pyFloat, pyInt, setKeyOrder } from "./value.ts";

export function parsePyJson(text: string, path: string): unknown {
  const p = new JsonParser(text, path);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i < text.length) p.fail("Extra data");
  return v;
}

/** Nesting bound: the input is untrusted, and Python stops near here too (RecursionError). */
const MAX_DEPTH = 500;

class JsonParser {
  i = 0;
  depth = 0;
  constructor(readonly s: string, readonly path: string) {}

  fail(msg: string): never {
    const before = this.s.slice(0, this.i);
    const line = before.split("\n").length;
    const column = this.i - before.lastIndexOf("\n");
    throw new DvcFileSyntaxError(this.path, `JSON file structure is corrupted: ${msg}`, {
      line,
      column,
    });
  }

  ws(): void {
    while (this.i < this.s.length && " \t\n\r".includes(this.s[this.i])) this.i++;
  }

  value(): unknown {
    const c = this.s[this.i];
    if (c === "{" || c === "[") {
      if (++this.depth > MAX_DEPTH) this.fail(`nested too deeply (more than ${MAX_DEPTH} levels)`);
      const v = c === "{" ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"') return this.string();
    for (const [lit, v] of LITERALS) {
      if (this.s.startsWith(lit, this.i)) {
        this.i += lit.length;
        return v;
      }
    }
    const m = /^-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(
      this.s.slice(this.i, this.i + 400),
    );
    if (!m) this.fail("Expecting value");
    this.i += m[0].length;
    if (m[1] || m[2]) return pyFloat(Number(m[0]));
    return pyInt(BigInt(m[0]));
  }

  object(): Record<string, unknown> {
    this.i++;
    const obj: Record<string, unknown> = {};
    const order: string[] = [];
    this.ws();
    if (this.s[this.i] === "}") {
      this.i++;
      return setKeyOrder(obj, order);
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') {
        this.fail("Expecting property name enclosed in double quotes");
      }
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ":") this.fail("Expecting ':' delimiter");
      this.i++;
      this.ws();
      if (!Object.hasOwn(obj, k)) order.push(k);
      obj[k] = this.value();
      this.ws();
      const c = this.s[this.i++];
      if (c === "}") return setKeyOrder(obj, order);
      if (c !== ",") {
        this.i--;
        this.fail("Expecting ',' delimiter");
      }
    }
  }

  array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === "]") return out;
      if (c !== ",") {
        this.i--;
        this.fail("Expecting ',' delimiter");
      }
    }
  }

  string(): string {
    const start = this.i;
    this.i++;
    let out = "";
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) {
        this.i = start;
        this.fail("Unterminated string starting at");
      }
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === "\\") {
        const e = this.s[this.i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          "\\": "\\",
          "/": "/",
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
        };
        if (e in simple) {
          out += simple[e];
          this.i += 2;
        } else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(this.s.slice(this.i + 2, this.i + 6))) {
          out += String.fromCharCode(parseInt(this.s.slice(this.i + 2, this.i + 6), 16));
          this.i += 6;
        } else {
          this.fail("Invalid \\escape");
        }
        continue;
      }
      if (c < " ") this.fail("Invalid control character at");
      out += c;
      this.i++;
    }
  }
}

const LITERALS: [string, unknown][] = [
  ["true", true],
  ["false", false],
  ["null", null],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
];
