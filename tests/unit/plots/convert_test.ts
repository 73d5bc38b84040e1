import { assert, assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import { flatDatapoints, inferDataSources } from "../../../lib/plots/convert.ts";
import { getDatapoints, parsePlotData } from "../../../lib/plots/data.ts";
import { parseSv } from "../../../lib/plots/sv.ts";
import { pyJsonDumps } from "../../../lib/py/json_dumps.ts";
import { CairnError } from "../../../lib/errors.ts";

const csv = (text: string, path = "p.csv") => parsePlotData(text, path);

Deno.test("csv/tsv as DictReader: strings, header or 0..n names, quotes, short rows", () => {
  assertEquals(parseSv('a,b\n1,"x,y"\n\n3\n'), [{ a: "1", b: "x,y" }, { a: "3", b: null }]);
  assertEquals(
    pyJsonDumps(parsePlotData("5\t6\n7\t8\n", "d.tsv", { header: false })),
    '[{"0": "5", "1": "6"}, {"0": "7", "1": "8"}]',
  );
  assertEquals(parseSv('q\r\n"a ""b"""\r\n'), [{ q: 'a "b"' }]);
});

Deno.test("datapoints: lists of uniform mappings found in the blob and merged index-wise", () => {
  const blob = {
    train: [{ x: 1 }, { x: 2 }],
    meta: { test: [{ y: 3 }, { y: 4 }] },
    bad: [{ a: 1 }, { b: 2 }],
  };
  assertEquals(pyJsonDumps(getDatapoints(blob)), '[{"x": 1, "y": 3}, {"x": 2, "y": 4}]');
  assertEquals(getDatapoints({ n: 1 }), []);
});

Deno.test("no x: step = row index; no y: last field of the first row (DVC inference)", () => {
  const data = new Map([["eval/prc.csv", csv("threshold,precision,recall\n0.25,1,0\n0.5,1,0\n")]]);
  const r = flatDatapoints("eval/prc.csv", {}, data, "workspace");
  assertEquals(r.props.x, "step");
  assertEquals(r.props.y, "recall");
  assertEquals(r.props.x_label, "step");
  assertEquals(r.props.y_label, "recall");
  assertEquals(
    pyJsonDumps(r.datapoints[1]),
    '{"threshold": "0.5", "precision": "1", "recall": "0", "step": 1, "rev": "workspace", "filename": "eval/prc.csv", "field": "recall"}',
  );
  assertEquals(inferDataSources("eval/prc.csv", null), ["eval/prc.csv"]);
});

Deno.test("several y sources: x joined per file, common prefix dropped, different fields unified", () => {
  const data = new Map<string, unknown>([
    ["ev/train.json", { roc: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }],
    ["ev/test.json", { roc: [{ fpr: 0, sens: 0.1 }, { fpr: 1, sens: 0.9 }] }],
  ]);
  const props = { x: "fpr", y: { "ev/train.json": "tpr", "ev/test.json": "sens" } };
  const r = flatDatapoints("roc", props, data, "HEAD");
  assertEquals(r.props.y, "dvc_inferred_y_value");
  assertEquals(r.props.x, "fpr");
  assertEquals(r.props.y_label, "y");
  assertEquals(r.datapoints.length, 4);
  assertEquals(r.datapoints[2].filename, "test.json");
  assertEquals(r.datapoints[2].dvc_inferred_y_value, 0.1);
  assertEquals(r.props.anchors_y_definitions, [
    { filename: "train.json", field: "tpr" },
    { filename: "test.json", field: "sens" },
  ]);
  assertEquals(inferDataSources("roc", props), ["ev/train.json", "ev/test.json"]);
});

Deno.test("a missing x/y field names the field and the file", () => {
  const data = new Map([["d.csv", csv("a,b\n1,2\n")]]);
  const err = assertThrows(() => flatDatapoints("d.csv", { x: "nope", y: "b" }, data, "w"));
  void err;
  try {
    flatDatapoints("d.csv", { x: "a", y: "nope" }, data, "w");
    throw new Error("no error");
  } catch (e) {
    assert(e instanceof CairnError);
    assertMatch(e.message, /'nope'.*'a, b'.*'d\.csv'/);
  }
  const two = new Map([["a.csv", csv("x,y\n1,2\n")], ["b.csv", csv("x,y\n1,2\n3,4\n")]]);
  try {
    flatDatapoints("p", { x: { "a.csv": "x" }, y: { "b.csv": "y" } }, two, "w");
    throw new Error("no error");
  } catch (e) {
    assertMatch((e as Error).message, /same length/);
  }
});
