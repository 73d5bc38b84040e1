/** Expected texts below were produced by ruamel.yaml 0.17.21 configured as DVC does. */
import { assertEquals } from "../../_rig/assert.ts";
import { emitYaml, resolvesToStr } from "../../../lib/py/yaml_emit.ts";
import { QUOTING_NAMES } from "./_quoting_names.ts";
import { canonicalJson, compareCodePoints } from "../../../lib/py/canonical_json.ts";
import { PyFloat, pyFloat, pyFloatRepr, setKeyOrder } from "../../../lib/py/value.ts";

Deno.test("emit: sequences are not indented under their key; nested structures", () => {
  const v = {
    a: [null, [null, 1, [2, []]], { x: null, y: [], z: {} }, [], {}],
    b: {},
    c: [[{ k: 1, l: [1] }]],
  };
  assertEquals(
    emitYaml(v),
    "a:\n- \n- - \n  - 1\n  - - 2\n    - []\n- x:\n  y: []\n  z: {}\n- []\n- {}\nb: {}\nc:\n- - k: 1\n    l:\n    - 1\n",
  );
});

Deno.test("emit: scalars — None, bools, ints, floats as Python repr", () => {
  const v = {
    none: null,
    t: true,
    f: false,
    i: 10,
    big: 12345678901234567890n,
    floats: [
      1e-5,
      pyFloat(1),
      2.5,
      pyFloat(1e20),
      pyFloat(-0),
      pyFloat(3),
      Infinity,
      -Infinity,
      NaN,
      0.1,
    ],
  };
  assertEquals(
    emitYaml(v),
    "none:\nt: true\nf: false\ni: 10\nbig: 12345678901234567890\nfloats:\n- 1e-05\n- 1.0\n- 2.5\n- 1e+20\n- -0.0\n- 3.0\n- .inf\n- -.inf\n- .nan\n- 0.1\n",
  );
});

Deno.test("emit: quoting of strings that would read as something else or hold syntax", () => {
  const items = [
    ...QUOTING_NAMES,
    "94514256350699806014544739440686",
    "46104093267501e56756924553017756",
    "",
    " lead",
    "line1\nline2",
    "2024-01-01",
    "~",
    "a#b",
    "tab\there",
    "héllo ✓ 😀",
  ];
  assertEquals(
    emitYaml(items),
    `- 'true'
- '123'
- '1e5'
- 'null'
- '0x1F'
- yes
- 'colon: space.txt'
- 'hash #sign.txt'
- '[brackets].txt'
- '{braces}.txt'
- '@at.txt'
- it's.txt
- '!bang.txt'
- '&amp.txt'
- '*star.txt'
- -dash.txt
- '94514256350699806014544739440686'
- '46104093267501e56756924553017756'
- ''
- ' lead'
- "line1\\nline2"
- '2024-01-01'
- '~'
- a#b
- "tab\\there"
- héllo ✓ 😀
`,
  );
  assertEquals(resolvesToStr("yes"), true);
  assertEquals(resolvesToStr("1_000"), false);
  assertEquals(resolvesToStr(".5"), false);
});

Deno.test("emit: plain folding before the word crossing column 80 (ruamel 0.18), code points, +2 indent", () => {
  const cmd =
    'python3 w.py --out out/long.txt --alpha 0.5 --beta 0.25 --gamma-correction-factor 2.0 --description "a long quoted description that goes past eighty columns" --flag';
  assertEquals(
    emitYaml({ stages: { long_cmd: { cmd } } }),
    `stages:
  long_cmd:
    cmd: python3 w.py --out out/long.txt --alpha 0.5 --beta 0.25 \n      --gamma-correction-factor 2.0 --description "a long quoted description \n      that goes past eighty columns" --flag
`,
  );
  // 90 bytes but fewer than 80 code points: not folded
  const uni = "python3 w.py --out 'données/résumé.txt' --out '😀/emoji ✓.txt' ünïcödé";
  assertEquals(emitYaml({ s: { u: { cmd: uni } } }), `s:\n  u:\n    cmd: ${uni}\n`);
  // a sequence item folds relative to the dash
  assertEquals(
    emitYaml(["w ".repeat(45).trim()]),
    "- w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w \n  w w w w w w\n",
  );
});

Deno.test("emit: a cmd with ' that needs quoting is double-quoted, folded without \\ before simple words", () => {
  const cmd =
    "python3 w.py --out true --out 123 --out 1e5 --out null --out 0x1F --out yes --out 'colon: space.txt' --out 'hash #sign.txt' --out '[brackets].txt' --out '{braces}.txt' --out @at.txt --out \"it's.txt\" --out '!bang.txt' --out '&amp.txt' --out '*star.txt' --out -dash.txt";
  assertEquals(
    emitYaml({ stages: { quoting: { cmd } } }),
    `stages:
  quoting:
    cmd: "python3 w.py --out true --out 123 --out 1e5 --out null --out 0x1F --out
      yes --out 'colon: space.txt' --out 'hash #sign.txt' --out '[brackets].txt' --out
      '{braces}.txt' --out @at.txt --out \\"it's.txt\\" --out '!bang.txt' --out '&amp.txt'
      --out '*star.txt' --out -dash.txt"
`,
  );
});

Deno.test("emit: single-quoted folding, long keys use `? `", () => {
  assertEquals(
    emitYaml({ k: ["w ".repeat(50)] }),
    "k:\n- 'w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w w\n  w w w w w w w w w w '\n",
  );
  const key = "b".repeat(123);
  assertEquals(emitYaml({ [key]: 1 }), `? ${key}\n: 1\n`);
  // the value crosses column 80: ruamel 0.18 moves it to the next line
  assertEquals(emitYaml({ [key.slice(1)]: 1 }), `${key.slice(1)}: \n  1\n`);
  assertEquals(emitYaml({ [key.slice(50)]: 1 }), `${key.slice(50)}: 1\n`);
});

Deno.test("emit: key order — file order kept, also for integer-like and int keys", () => {
  const o = setKeyOrder({ b: 1, "10": 2, "2": 3 }, ["b", 10, "2"]);
  assertEquals(emitYaml(o), "b: 1\n10: 2\n'2': 3\n");
  assertEquals(emitYaml(new Map<unknown, unknown>([[1, "a"], ["x", null]])), "1: a\nx:\n");
});

Deno.test("pyFloatRepr matches Python repr", () => {
  const cases: [number, string][] = [
    [0.1, "0.1"],
    [1, "1.0"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [123456789.123, "123456789.123"],
    [1.5e-7, "1.5e-07"],
    [-0, "-0.0"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "5e-324"],
    [Infinity, "inf"],
    [NaN, "nan"],
  ];
  for (const [n, s] of cases) assertEquals(pyFloatRepr(n), s);
});

Deno.test("canonicalJson = json.dumps(sort_keys=True)", () => {
  assertEquals(
    canonicalJson({ b: [1, 2.5, pyFloat(1), null, true], a: 'é😀\n"\\/\x7f', c: {} }),
    '{"a": "\\u00e9\\ud83d\\ude00\\n\\"\\\\/\\u007f", "b": [1, 2.5, 1.0, null, true], "c": {}}',
  );
  assertEquals(
    canonicalJson([1e-5, pyFloat(1e16), new PyFloat(100), 12345678901234567890n]),
    "[1e-05, 1e+16, 100.0, 12345678901234567890]",
  );
  assertEquals(canonicalJson([NaN, Infinity, -Infinity]), "[NaN, Infinity, -Infinity]");
  // code point order, not UTF-16: U+FB01 sorts before U+1F600
  assertEquals(
    canonicalJson({ "😀": 1, "ﬁ": 2, "Z": 3 }),
    '{"Z": 3, "\\ufb01": 2, "\\ud83d\\ude00": 1}',
  );
  assertEquals(compareCodePoints("ﬁ", "😀") < 0, true);
  // all-int keys (from YAML) sort numerically
  assertEquals(
    canonicalJson(setKeyOrder({ "10": "a", "2": "b" }, [10, 2])),
    '{"2": "b", "10": "a"}',
  );
});
