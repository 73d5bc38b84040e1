import { assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import { DvcFileSyntaxError } from "../../../lib/errors.ts";
import { loadYaml, parseYaml } from "../../../lib/py/yaml_parse.ts";
import { emitYaml } from "../../../lib/py/yaml_emit.ts";
import { isPyFloat, mapEntries, PyFloat } from "../../../lib/py/value.ts";

Deno.test("parse: YAML 1.2 scalar resolution as ruamel's safe loader", () => {
  const v = loadYaml(
    `a: 1
b: 1.0
c: 1e-5
d: 3.
e: .inf
f: -.inf
g: yes
h: 0o17
i: 0x1F
j: 1_000
k: ~
l:
m: '1.0'
n: true
o: False
p: 12345678901234567890
q: 010
r: .5
s: -0.0
`,
    "t.yaml",
  ) as Record<string, unknown>;
  assertEquals(v.a, 1);
  assertEquals(v.b, new PyFloat(1));
  assertEquals(v.c, 1e-5);
  assertEquals(v.d, new PyFloat(3));
  assertEquals(v.e, Infinity);
  assertEquals(v.f, -Infinity);
  assertEquals(v.g, "yes");
  assertEquals(v.h, 15);
  assertEquals(v.i, 31);
  assertEquals(v.j, 1000);
  assertEquals([v.k, v.l], [null, null]);
  assertEquals(v.m, "1.0");
  assertEquals([v.n, v.o], [true, false]);
  assertEquals(v.p, 12345678901234567890n);
  assertEquals(v.q, 10);
  assertEquals(v.r, 0.5);
  assertEquals(isPyFloat(v.s) && Object.is((v.s as PyFloat).value, -0), true);
});

Deno.test("parse: key order and int keys survive; anchors, merge keys, explicit tags", () => {
  const v = loadYaml("z: 1\n10: a\n'2': b\n", "t.yaml") as object;
  assertEquals(mapEntries(v).map(([k]) => k), ["z", 10, "2"]);
  assertEquals(emitYaml(v), "z: 1\n10: a\n'2': b\n");
  const m = loadYaml(
    "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\nt: !!str 5\n",
    "t.yaml",
  ) as Record<
    string,
    Record<string, unknown>
  >;
  assertEquals(m.d, { y: 3, x: 1 });
  assertEquals(m.t, "5");
});

Deno.test("parse: positions of keys and values", () => {
  const { value, positions } = parseYaml("a:\n  b: [1, 2]\n  c:\n  - x\n", "t.yaml");
  const a = (value as Record<string, Record<string, unknown>>).a;
  assertEquals(positions.key(a, "c"), { line: 3, column: 3 });
  assertEquals(positions.value(a, "b"), { line: 2, column: 6 });
  assertEquals(positions.value(a.c, 0), { line: 4, column: 5 });
  assertEquals(positions.of(a), { line: 2, column: 3 });
});

Deno.test("parse: errors carry file, line and column", () => {
  const e = assertThrowsSyntax(() => loadYaml("a: 1\nb: [x\n", "dir/f.yaml"));
  assertEquals([e.path, e.line], ["dir/f.yaml", 3]);
  assertMatch(e.message, /^'dir\/f\.yaml' is invalid: dir\/f\.yaml:3:1: /);
  const d = assertThrowsSyntax(() => loadYaml("a: 1\na: 2\n", "f.yaml"));
  assertEquals([d.line, d.column], [2, 1]);
  assertThrows(() => loadYaml("a: *nope\n", "f.yaml"), DvcFileSyntaxError);
});

function assertThrowsSyntax(fn: () => unknown): DvcFileSyntaxError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DvcFileSyntaxError) return e;
    throw e;
  }
  throw new Error("no error");
}
