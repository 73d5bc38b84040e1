import { assertEquals, assertMatch } from "../../_rig/assert.ts";
import { DvcFileSyntaxError } from "../../../lib/errors.ts";
import { FIXTURES } from "../../_rig/rig.ts";
import {
  flattenParams,
  getParam,
  loadParamsFile,
  paramsFormat,
  parseParams,
  selectParams,
} from "../../../lib/params/load.ts";
import { emitYaml } from "../../../lib/py/yaml_emit.ts";
import { PyFloat } from "../../../lib/py/value.ts";

const LF = `${FIXTURES}/lock_formats/repo`;

Deno.test("params: format by extension", () => {
  assertEquals(
    ["a.json", "b.TOML", "c.py", "d.yaml", "e.yml", "f", "g.txt"].map(paramsFormat),
    ["json", "toml", "py", "yaml", "yaml", "yaml", "yaml"],
  );
});

Deno.test("params: fixture files keep Python types (dvc.lock values)", () => {
  const y = loadParamsFile(`${LF}/params.yaml`, "params.yaml") as Record<
    string,
    Record<string, unknown>
  >;
  assertEquals(y.floats.one, new PyFloat(1));
  assertEquals(y.floats.plain_int, 10);
  const j = loadParamsFile(`${LF}/params.json`, "params.json");
  assertEquals(
    emitYaml(j),
    "json_floats:\n  sci: 1e-05\n  one: 1.0\n  big: 1e+20\n  half: 0.5\njson_nested:\n  a:\n    b:\n    - 1\n    - 2.5\n    - x\n  flag: true\n  none:\n",
  );
  const t = loadParamsFile(`${LF}/params.toml`, "params.toml");
  assertEquals(
    emitYaml(t),
    "toml_section:\n  lr: 1e-05\n  epochs: 10\n  name: toml\n  ratio: 1.0\n  inner:\n    enabled: false\n    values:\n    - 1\n    - 2\n    - 3\n",
  );
});

Deno.test("params: python files — assignments, classes, self.x in __init__", () => {
  const py = `import os
LR = 0.001  # comment
EPOCHS: int = 10
NAME = "x" 'y'
NEG = -1.5
T = (1, 2)
D = {"a": 1, 'b': [1.0, None, True]}
SKIPPED = os.getenv("X")
A = B = 3
class Train:
    lr = 1e-5
    layers = [16,
              8]
    def __init__(self, x):
        self.momentum = 0.9
        local = 3
    class Inner: depth = 2
if True:
    HIDDEN = 1
S = r"a\\b"
E = "tab\\t"
M = """multi
line"""
`;
  const v = parseParams(py, "p.py");
  assertEquals(
    emitYaml(v),
    `LR: 0.001
EPOCHS: 10
NAME: xy
NEG: -1.5
T:
- 1
- 2
D:
  a: 1
  b:
  - 1.0
  - 
  - true
Train:
  lr: 1e-05
  layers:
  - 16
  - 8
  momentum: 0.9
  Inner:
    depth: 2
S: a\\b
E: "tab\\t"
M: "multi\\nline"
`,
  );
});

Deno.test("params: dotted lookup, selection, flattening", () => {
  const d = parseParams("a:\n  b: 1\n  l: [x, {y: 2}]\n  e: {}\nc: null\n", "params.yaml");
  assertEquals(getParam(d, "a.b"), { found: true, value: 1 });
  assertEquals(getParam(d, "a.l.1.y"), { found: true, value: 2 });
  assertEquals(getParam(d, "c"), { found: true, value: null });
  assertEquals(getParam(d, "a.x"), { found: false });
  assertEquals(getParam(d, "a.b.c"), { found: false });
  assertEquals(selectParams(d, ["a.b", "missing", "c"]), { "a.b": 1, c: null });
  assertEquals(selectParams(d, null), d);
  assertEquals(flattenParams(d), { "a.b": 1, "a.l": ["x", { y: 2 }], c: null });
  assertEquals(parseParams("", "params.yaml"), {});
});

Deno.test("params: errors give the path and the line", () => {
  const cases: [string, string, RegExp][] = [
    ["bad.json", '{"a": 1,\n "b": }', /bad\.json:2:7: JSON file structure is corrupted/],
    ["bad.toml", "a = 1\nb = = 2\n", /bad\.toml:2:\d+: TOML file structure is corrupted/],
    ["bad.py", 'a = 1\nb = "x\n', /bad\.py:2: Python file structure is corrupted/],
    ["bad.yaml", "a: 1\nb: [1\n", /bad\.yaml:3:1: /],
  ];
  for (const [name, text, re] of cases) {
    try {
      parseParams(text, name);
      throw new Error(`no error for ${name}`);
    } catch (e) {
      if (!(e instanceof DvcFileSyntaxError)) throw e;
      assertEquals(e.path, name);
      assertMatch(e.message, re);
    }
  }
});
