import { assertEquals } from "../../_rig/assert.ts";
import { diffFileData, diffRevisionData, pySub } from "../../../lib/metrics/compare.ts";
import { flatten, flattenMetrics, formatDict } from "../../../lib/metrics/flatten.ts";
import { mapEntries, PyFloat } from "../../../lib/py/value.ts";
import { parsePyJson } from "../../../lib/py/json_loads.ts";
import { pyJsonDumps } from "../../../lib/py/json_dumps.ts";

Deno.test("flatten: dotted keys in file order, lists as Python text, empty maps dropped", () => {
  const d = parsePyJson(
    '{"b": {"y": 1, "x": [1, 2.0]}, "a": {}, "c": "s", "1": {"0": true}}',
    "m.json",
  );
  assertEquals(mapEntries(flatten(formatDict(d as Record<string, unknown>))).map(([k]) => k), [
    "b.y",
    "b.x",
    "c",
    "1.0",
  ]);
  assertEquals(flattenMetrics(d as Record<string, unknown>)["b.x"], "[1, 2.0]");
});

Deno.test("pySub: int stays int, floats are floats, bools count as ints", () => {
  assertEquals(pySub(3, 1), 2);
  assertEquals(pyJsonDumps(pySub(0.01, 0.001)), "0.009000000000000001");
  assertEquals(pyJsonDumps(pySub(new PyFloat(2), 1)), "1.0");
  assertEquals(pySub(true, true), 0);
  assertEquals(pySub(10n ** 20n, 1), 10n ** 20n - 1n);
});

Deno.test("diff of one file: changed, added, removed, non-numeric, unchanged only with all", () => {
  const old = { acc: 0.5, name: "a", same: 1, gone: 2 };
  const neu = { acc: 0.75, name: "b", same: 1, added: 3 };
  const d = diffFileData(old, neu);
  assertEquals(
    pyJsonDumps(d),
    pyJsonDumps({
      acc: { old: 0.5, new: 0.75, diff: 0.25 },
      added: { old: null, new: 3 },
      gone: { old: 2, new: null },
      name: { old: "a", new: "b" },
    }),
  );
  assertEquals(Object.keys(diffFileData(old, neu, { withUnchanged: true })), [
    "acc",
    "added",
    "gone",
    "name",
    "same",
  ]);
  // 1 == 1.0 == True for Python: unchanged
  assertEquals(diffFileData({ v: 1 }, { v: new PyFloat(1) }), {});
});

Deno.test("diff of scalar files and of revisions", () => {
  assertEquals(pyJsonDumps(diffFileData(1, 3)), '{"": {"old": 1, "new": 3, "diff": 2}}');
  const res = diffRevisionData(
    { "m.yaml": { data: 1 }, "gone.json": { data: { a: 1 } } },
    { "m.yaml": { data: 1 }, "new.json": { data: { a: [1, 2] } }, "err.json": {} },
  );
  assertEquals(
    pyJsonDumps(res),
    pyJsonDumps({
      "gone.json": { a: { old: 1, new: null } },
      "new.json": { a: { old: null, new: "[1, 2]" } },
    }),
  );
});
