/**
 * The fast YAML reader (lib/py/yaml_fast.ts) against the `yaml` library path
 * of lib/py/yaml_parse.ts: wherever the fast reader accepts a text, values
 * (with Python types), key order and every position must be the same; where
 * the library fails, the fast reader must decline. And the files DVC writes
 * must take the fast path (start-up, issue 16).
 */
import { assert, assertEquals } from "../../_rig/assert.ts";
import { yaml } from "../../../lib/py/yaml_lib.ts";
import { fastParseYaml } from "../../../lib/py/yaml_fast.ts";
import { parseWithLibrary } from "../../../lib/py/yaml_parse.ts";
import type { PosIndex } from "../../../lib/py/yaml_pos.ts";
import { keyString, mapEntries, PyFloat } from "../../../lib/py/value.ts";

/** A comparable picture of a parsed value: types, key order and positions. */
function picture(v: unknown, pos: PosIndex): unknown {
  if (v instanceof PyFloat) return { PyFloat: Object.is(v.value, -0) ? "-0" : String(v.value) };
  if (typeof v === "bigint") return { bigint: String(v) };
  if (typeof v === "number") return { number: Object.is(v, -0) ? "-0" : String(v) };
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    return { seq: v.map((x, i) => [pos.value(v, i), picture(x, pos)]), at: pos.of(v) };
  }
  return {
    map: mapEntries(v).map(([k, x]) => [
      picture(k, pos),
      pos.key(v, keyString(k)),
      pos.value(v, keyString(k)),
      picture(x, pos),
    ]),
    at: pos.of(v),
  };
}

/** Compare both readers on `text`; returns whether the fast reader took it. */
function compare(text: string, label: string): boolean {
  let lib: { value: unknown; positions: PosIndex } | undefined;
  let libError: unknown;
  try {
    lib = parseWithLibrary(yaml, text, "f.yaml");
  } catch (err) {
    libError = err;
  }
  const fast = fastParseYaml(text, "f.yaml");
  if (!fast) return false;
  assert(
    !libError,
    `${label}: the fast reader accepted what the library refuses (${libError})\n${text}`,
  );
  assertEquals(
    picture(fast.value, fast.positions),
    picture(lib!.value, lib!.positions),
    `${label}: readers differ on\n${text}`,
  );
  return true;
}

/** Every YAML file of the fixtures written by DVC, and of our tests. */
function corpus(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory && e.name !== ".git" && e.name !== "cache") walk(p);
      else if (e.isFile && /\.(ya?ml|lock|dvc)$/.test(e.name)) {
        out.push([p, Deno.readTextFileSync(p)]);
      }
    }
  };
  const root = new URL("../../../", import.meta.url).pathname;
  walk(`${root}../shared/fixtures`);
  walk(`${root}tests`);
  walk(`${root}examples`);
  return out;
}

Deno.test("fast YAML reader agrees with the library on every fixture file it reads", () => {
  let taken = 0;
  const files = corpus();
  assert(files.length > 50, `corpus too small: ${files.length}`);
  for (const [path, text] of files) if (compare(text, path)) taken++;
  assert(taken > files.length / 2, `only ${taken} of ${files.length} files took the fast path`);
});

Deno.test("files DVC writes (dvc.lock, .dvc, dvc.yaml of the fixtures) take the fast path", () => {
  const dvcWritten = corpus().filter(([p]) =>
    p.includes("/shared/fixtures/") && /(dvc\.lock|\.dvc|dvc\.yaml)$/.test(p)
  );
  assert(dvcWritten.length > 5);
  const declined = dvcWritten.filter(([, text]) => !fastParseYaml(text, "f")).map(([p]) => p);
  assertEquals(declined, []);
});

const CASES = [
  "",
  "# only a comment\n",
  "---\na: 1\n",
  "a: 1\n---\nb: 2\n",
  "a:\nb: 1\nc:\n- \n-\n- x\nd:\n  e: |\n    hi\n  f: [1, x]\n",
  "a:   \nb: # c\nc:\n  # x\nd: 1\ne:\n-   # c\n- \n",
  "x:\n- a: 1\n  b: 2\n-   c: 3\n- |-\n  t\n- >\n  f\n\n  g\n  h\n-\n  k: 1\n",
  "stages:\n  train:\n    cmd: python train.py --lr=0.1 # comment\n    deps:\n    - data\n    outs:\n    - model.pkl:\n        cache: false\n",
  "a: 1.0\nb: -0.0\nc: 1e3\nd: .inf\ne: -.inf\nf: .nan\ng: 0x1F\nh: 0o17\ni: 1_000\nj: 123456789012345678901234567890\n",
  "a: yes\nb: no\nc: ~\nd: null\ne: True\nf: 2024-01-01\ng: '1'\nh: \"x\\ty\\u00e9\"\n",
  "1: a\n1.5: b\nnull: c\ntrue: d\n\"q\": e\n'r''s': f\n",
  "a: b: c\n",
  "a: b\n  c\n",
  "a: 'multi\n  line'\n",
  "a: [1, 2,]\n",
  "a: [1, [2]]\n",
  "a: {b: 1}\n",
  "a: {}\nb: []\nc: [ ]\n",
  "a: &x 1\nb: *x\n",
  "a: !!str 1\n",
  "a: 1\na: 2\n",
  "<<: {a: 1}\n",
  "a:\n  - 1\n  - 2\nb: 3\n",
  "a:\n- 1\n- 2\nb: 3\n",
  "- a\n- - b\n",
  "- a\nb: 1\n",
  "a: |+\n  x\n\nb: 1\n",
  "a: >-\n  x\n  y\n\n\n  z\nb: 1\n",
  "a: |\n  x\n    y\n",
  "a: >\n  x\n    y\n",
  "a: |2\n  x\n",
  "a: |\n  x",
  "a: x #c\nb: x#c\nc: 'x' # c\n",
  "a:b\n",
  "a: -1\nb: -x\nc: - x\n",
  "  a: 1\n  b: 2\n",
  "a:\n    b: 1\n  c: 2\n",
  "a: 1\n ...\n",
  'a: "\\x41"\n',
  "key with spaces: v\n",
  'a: "unterminated\n',
  "a: b\n\tc: d\n",
  "- [a, 'b', \"c\", 1, 2.5, null]\n",
  "s3://bucket/x: 1\nurl: s3://bucket/path\n",
  "a: 1 # x: y\n",
  "a: [x # y]\n",
  "a:\n  - b: 1\n    c:\n    - d\n  - e\n",
  "a: @x\n",
  "a: `x`\n",
  "? a\n: b\n",
  "a: |\n\n  x\n",
  "a: |\n  x\n\n",
  "a: |-\n  x\n  \n  y\n",
  "- \"a\": 1\n  'b': 2\n",
];

Deno.test("fast YAML reader: edge cases agree with the library or are declined", () => {
  let taken = 0;
  for (const [i, text] of CASES.entries()) if (compare(text, `case ${i}`)) taken++;
  assert(taken > 15, `only ${taken} cases took the fast path`);
});

Deno.test("fast YAML reader: random block documents agree with the library or are declined", () => {
  // a small LCG: the same documents on every run
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pick = <T>(xs: T[]) => xs[rnd(xs.length)];
  const scalars = [
    "x",
    "1",
    "1.0",
    "-1",
    "0o7",
    "'q'",
    '"d"',
    "''",
    '""',
    "~",
    "a b",
    "a:b",
    "a #c",
    "[]",
    "{}",
    "[1, a]",
    "|",
    "|-",
    ">",
    ">+",
    "&a x",
    "*a",
    "!t x",
    "a: b",
    "- x",
    "true",
    "1e5",
    "-.5",
    "'it''s'",
    '"\\n"',
    "x,y",
    "[x",
    "#c",
    ":x",
    "?x",
    "-",
    '"a',
    "'a",
    '"a\\',
    '"a \\\\',
    "x  ",
  ];
  const continuations = ["x", "y z", "", "# c", "- w", 'b"', "c'", '\\ d"', "e\\", "f' # c", "--g"];
  const keys = ["a", "b", "c", "1", "'k'", '"k"', "a b", "k.x", "-k", "null", "a", "<<"];
  const pieces = (depth: number, indent: number): string[] => {
    const out: string[] = [];
    const sp = " ".repeat(indent);
    const n = 1 + rnd(3);
    const seq = rnd(3) === 0;
    for (let i = 0; i < n; i++) {
      const head = seq ? `${sp}-` : `${sp}${pick(keys)}:`;
      const r = rnd(6);
      if (r === 0 && depth < 3) {
        out.push(head);
        out.push(...pieces(depth + 1, indent + pick([0, 1, 2, 4])));
      } else if (r === 1) {
        out.push(
          `${head} ${pick(scalars)}`,
          `${sp}${" ".repeat(pick([0, 1, 2, 3]))}${pick(continuations)}`,
        );
      } else if (r === 2 && seq && depth < 3) {
        out.push(`${head} ${pick(keys)}: ${pick(scalars)}`);
        out.push(`${sp}  ${pick(keys)}: ${pick(scalars)}`);
      } else {
        out.push(`${head} ${pick(scalars)}`);
      }
      if (rnd(8) === 0) out.push("");
    }
    return out;
  };
  let taken = 0;
  for (let i = 0; i < 4000; i++) {
    const text = pieces(0, 0).join("\n") + (rnd(10) ? "\n" : "");
    if (compare(text, `random ${i}`)) taken++;
  }
  assert(taken > 300, `only ${taken} random documents took the fast path`);
});

Deno.test("fast YAML reader: random DVC-style documents (wrapped values, block scalars) agree", () => {
  let seed = 777;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pick = <T>(xs: T[]) => xs[rnd(xs.length)];
  const words = ["python", "train.py", "--lr", "0.1", "a:b", "x#y", "'q'", "-v", "1", "1.5", "é"];
  const phrase = () => Array.from({ length: 1 + rnd(5) }, () => pick(words)).join(" ");
  /** a value after `key:` at indentation `ind`, perhaps over several lines. */
  const value = (ind: number): string[] => {
    const more = " ".repeat(ind + 2 + rnd(3));
    switch (rnd(9)) {
      case 0: // plain, wrapped
        return [
          `python ${phrase()}`,
          ...Array.from({ length: 1 + rnd(2) }, () => more + "--x " + phrase()),
        ];
      case 1: { // double-quoted, wrapped, maybe with an escaped break
        const q = [`"a ${phrase().replaceAll('"', "")}`];
        q.push(more + (rnd(2) ? "\\ " : "") + 'b \\"c\\"' + (rnd(2) ? "\\" : ""));
        q.push(more + 'd"');
        return q;
      }
      case 2: // single-quoted, wrapped, with a blank line
        return [`'s ${phrase().replaceAll("'", "''")}`, "", more + "t''u'"];
      case 3:
        return [
          pick(["|", "|-", "|+", ">", ">-"]),
          more + phrase(),
          ...(rnd(2) ? [""] : []),
          more + phrase(),
        ];
      case 4:
        return [
          `[${
            Array.from({ length: rnd(4) }, () => pick(["1", "a", "'b'", '"c"', "2.0"])).join(", ")
          }]`,
        ];
      case 5:
        return [`"${phrase().replaceAll('"', "")}"  # note`];
      default:
        return [phrase().replace(/^[-'"]/, "w").replace(/ #/g, "")];
    }
  };
  const doc = (): string => {
    const lines: string[] = ["stages:"];
    for (let s = 0; s < 1 + rnd(3); s++) {
      lines.push(`  s${s}:`);
      const [first, ...rest] = value(4);
      lines.push(`    cmd: ${first}`, ...rest);
      lines.push("    deps:");
      for (let d = 0; d < 1 + rnd(3); d++) {
        const kind = rnd(4); // half path entries, a quarter nested lists, a quarter values
        if (kind < 2) lines.push(`    - path: d${d}`, `      md5: ${rnd(1000)}`);
        else if (kind === 2) lines.push(`    - - ${d}`, `      - x`);
        else {
          const [f, ...r] = value(6);
          lines.push(`    - ${f}`, ...r);
        }
      }
      if (rnd(3) === 0) lines.push("    # a comment", "");
    }
    return lines.join("\n") + "\n";
  };
  let taken = 0;
  for (let i = 0; i < 1500; i++) if (compare(doc(), `dvc-style ${i}`)) taken++;
  assert(taken > 300, `only ${taken} DVC-style documents took the fast path`);
});
