/**
 * Seeded mutation of text files for the readers' fuzz pass: deterministic
 * (a failure names its seed and mutation, and `FUZZ_SEED=n` replays it), and
 * aimed at what hostile or broken files contain: truncation, flipped bytes,
 * wrong types, deep nesting, huge numbers, anchors and alias bombs, tabs,
 * BOM, NUL, invalid UTF-8, duplicate keys.
 */

/** mulberry32: small, fast, good enough to spread mutations. */
export class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

const enc = new TextEncoder();
/** Decoded the way cairn reads files (Deno.readTextFileSync: invalid UTF-8 -> U+FFFD). */
const dec = new TextDecoder();

type Mutator = (text: string, r: Rng) => string;

function lines(text: string): string[] {
  return text.split("\n");
}

function atLine(text: string, r: Rng, f: (line: string) => string): string {
  const ls = lines(text);
  const i = r.int(ls.length);
  ls[i] = f(ls[i]);
  return ls.join("\n");
}

/** A scalar value somewhere (after `: ` or `- `) replaced by `v`. */
function replaceValue(text: string, r: Rng, v: string): string {
  const ls = lines(text);
  const cands = ls.map((l, i) => [l, i] as const).filter(([l]) => /(:\s+\S|^\s*-\s+\S)/.test(l));
  if (!cands.length) return text + v;
  const [l, i] = r.pick(cands);
  ls[i] = l.replace(/(:\s+|^(\s*)-\s+)\S.*$/, (_m, p) => `${p}${v}`);
  return ls.join("\n");
}

const TOKENS = [
  "{",
  "}",
  "[",
  "]",
  ": ",
  "- ",
  "? ",
  "|",
  ">-",
  "&a ",
  "*a",
  "*nope",
  "!!python/object:os.system ",
  "!!binary ",
  "!!int ",
  "!!float ",
  "!!timestamp ",
  "%YAML 1.1\n",
  "---\n",
  "...\n",
  "#",
  '"',
  "'",
  "\\",
  "${",
  "${x}",
  "${item.a}",
  "\t",
  "\r",
  "\u0000",
  "\ufeff",
  "\u2028",
  "=",
  "[core]\n",
  "['remote \"x\"']\n",
  "md5: ",
  "path: ",
  "outs:\n- ",
  "cmd: ",
  "foreach: ",
  "do:\n",
  "matrix:\n",
  "<<: ",
  "null",
  "~",
  "-1",
  "1e999",
  "nan",
  "0x",
  "0o9",
  "..",
  "/etc/passwd",
  "\\U7fffffff",
  "\\xZ",
  "\\N{x}",
  "class A: ",
  "class B:\n    ",
];

export const MUTATORS: Record<string, Mutator> = {
  truncate: (t, r) => t.slice(0, r.int(t.length + 1)),
  flipByte: (t, r) => {
    const b = enc.encode(t);
    if (!b.length) return t;
    const i = r.int(b.length);
    b[i] ^= 1 << r.int(8);
    return dec.decode(b);
  },
  randomBytes: (t, r) => {
    const b = enc.encode(t);
    const i = r.int(b.length + 1);
    const junk = Uint8Array.from({ length: 1 + r.int(8) }, () => r.int(256));
    return dec.decode(new Uint8Array([...b.slice(0, i), ...junk, ...b.slice(i)]));
  },
  insertToken: (t, r) => {
    const i = r.int(t.length + 1);
    return t.slice(0, i) + r.pick(TOKENS) + t.slice(i);
  },
  deleteLine: (t, r) => {
    const ls = lines(t);
    ls.splice(r.int(ls.length), 1);
    return ls.join("\n");
  },
  duplicateLine: (t, r) => {
    // duplicate keys (YAML/INI) and repeated entries
    const ls = lines(t);
    const i = r.int(ls.length);
    ls.splice(i, 0, ls[i]);
    return ls.join("\n");
  },
  swapLines: (t, r) => {
    const ls = lines(t);
    const [i, j] = [r.int(ls.length), r.int(ls.length)];
    [ls[i], ls[j]] = [ls[j], ls[i]];
    return ls.join("\n");
  },
  wrongTypeList: (t, r) => replaceValue(t, r, "[1, [2], {a: b}]"),
  wrongTypeMap: (t, r) => replaceValue(t, r, "{x: {y: [z]}}"),
  wrongTypeNumber: (t, r) => replaceValue(t, r, r.pick(["12", "-0.5", "1e308", "true", "null"])),
  wrongTypeEmpty: (t, r) => replaceValue(t, r, r.pick(['""', "''", "[]", "{}"])),
  hugeNumber: (t, r) => replaceValue(t, r, "9".repeat(4300 + r.int(20000))),
  hugeFloat: (t, r) => replaceValue(t, r, `1${"0".repeat(400)}.5e${r.int(2000)}`),
  hugeString: (t, r) => replaceValue(t, r, `"${"x".repeat(1 << (16 + r.int(5)))}"`),
  deepFlow: (t, r) => {
    const n = 100 + r.int(3000);
    return replaceValue(t, r, "[".repeat(n) + "]".repeat(n));
  },
  deepBlock: (t, r) => {
    const n = 50 + r.int(900);
    let s = "";
    for (let i = 0; i < n; i++) s += `${" ".repeat(i)}k:\n`;
    return t + "\n" + s + " ".repeat(n) + "v\n";
  },
  anchorAlias: (t, r) =>
    atLine(t, r, (l) => l.replace(/:\s+(\S)/, ": &x $1")) + `\nextra: [*x, *x, *x]\n`,
  aliasBomb: (t, r) => {
    let s = "\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
    const levels = 3 + r.int(8);
    for (let i = 1; i < levels; i++) {
      s += `l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(", ")}]\n`;
    }
    return t + s;
  },
  selfAlias: (t) => t + "\nloop: &loop [*loop]\n",
  tabs: (t, r) =>
    atLine(t, r, (l) => l.replace(/^ +/, (m) => "\t".repeat(Math.max(1, m.length / 2)))),
  bom: (t) => "\ufeff" + t,
  nul: (t, r) => {
    const i = r.int(t.length + 1);
    return t.slice(0, i) + "\u0000" + t.slice(i);
  },
  invalidUtf8: (t, r) => {
    const b = enc.encode(t);
    const i = r.int(b.length + 1);
    const bad = r.pick([[0xff], [0xc3], [0xe2, 0x82], [0xed, 0xa0, 0x80], [
      0xf4,
      0x90,
      0x80,
      0x80,
    ]]);
    return dec.decode(new Uint8Array([...b.slice(0, i), ...bad, ...b.slice(i)]));
  },
  crlf: (t) => t.replaceAll("\n", "\r\n"),
  // amplification: a short fragment (of the file, or a token) repeated many times in place,
  // the shape of `class A: class A: ...`, `- - - -`, `{a: {a: ...`
  repeatFragment: (t, r) => {
    const i = r.int(t.length + 1);
    const frag = r.next() < 0.5 ? t.slice(i, i + 1 + r.int(10)) : r.pick(TOKENS);
    return t.slice(0, i) + frag.repeat(r.pick([10, 100, 1000, 5000])) + t.slice(i);
  },
  emptyDoc: (_t, r) => r.pick(["", "\n", "---\n", "null\n", "~", "[]", "{}", "42", "'x'", "- a\n"]),
};

export const MUTATOR_NAMES = Object.keys(MUTATORS);

/** `count` mutants of `seedText`: 1-3 mutations each, reproducible from (seed, index). */
export function* mutants(
  seedText: string,
  seed: number,
  count: number,
): Generator<{ text: string; how: string }> {
  for (let k = 0; k < count; k++) {
    const r = new Rng(seed * 1_000_003 + k);
    let text = seedText;
    const how: string[] = [];
    const n = 1 + r.int(3);
    for (let j = 0; j < n; j++) {
      const name = r.pick(MUTATOR_NAMES);
      text = MUTATORS[name](text, r);
      how.push(name);
    }
    yield { text, how: `seed ${seed} #${k}: ${how.join("+")}` };
  }
}
