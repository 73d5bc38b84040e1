import { assert, assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import { extractMetrics, parseMetricText, readMetric } from "../../../lib/metrics/read.ts";
import { pyJsonDumps } from "../../../lib/py/json_dumps.ts";
import { DvcFileSyntaxError } from "../../../lib/errors.ts";

Deno.test("readMetric keeps numbers/strings/bools, drops lists and nulls", () => {
  const v = readMetric(
    '{"acc": 0.9, "l": [1], "n": null, "s": "x", "b": true, "e": {}, "d": {"k": [2]}}',
    "m.json",
  );
  assertEquals(pyJsonDumps(v), '{"acc": 0.9, "s": "x", "b": true}');
  assertEquals(readMetric("0", "m.yaml"), {});
  assertEquals(readMetric("3.5", "m.yaml"), 3.5);
  assertEquals(extractMetrics([1, 2]), undefined);
});

Deno.test("yaml, toml and csv/tsv metrics", () => {
  assertEquals(pyJsonDumps(readMetric("a:\n  b: 1\n", "m.yaml")), '{"a": {"b": 1}}');
  assertEquals(pyJsonDumps(readMetric("[x]\ny = 2.0\n", "m.toml")), '{"x": {"y": 2.0}}');
  assertEquals(
    pyJsonDumps(readMetric("acc,loss\n0.9,0.1\n", "m.csv")),
    '{"acc": 0.9, "loss": 0.1}',
  );
  assertEquals(
    pyJsonDumps(readMetric("epoch\tacc\n1\t0.5\n2\t0.7\n", "m.tsv")),
    '{"0": {"epoch": 1, "acc": 0.5}, "1": {"epoch": 2, "acc": 0.7}}',
  );
});

Deno.test("bad metrics files are reported with path and position", () => {
  const e = assertThrows(() => readMetric('{"acc": 0.9,,}', "eval/m.json"));
  void e;
  try {
    readMetric('{"acc": 0.9,,}', "eval/m.json");
  } catch (err) {
    assert(err instanceof DvcFileSyntaxError);
    assertEquals(err.path, "eval/m.json");
    assertEquals(err.line, 1);
    assertMatch(err.message, /eval\/m\.json:1:\d+/);
  }
  try {
    readMetric("a: [1\n", "m.yaml");
    throw new Error("no error");
  } catch (err) {
    assert(err instanceof DvcFileSyntaxError, String(err));
    assertMatch(err.message, /m\.yaml/);
  }
});

Deno.test("metrics modify settings: type overrides the extension, xpath selects one value", () => {
  assertEquals(
    pyJsonDumps(readMetric('{"acc": 0.9, "loss": 2}', "m.txt", { type: "json", xpath: "acc" })),
    '{"acc": 0.9}',
  );
  assertEquals(
    pyJsonDumps(readMetric('{"a": {"b": [5, 6]}}', "m.json", { xpath: "$.a.b[1]" })),
    '{"a": {"b": {"1": 6}}}',
  );
  assertEquals(
    pyJsonDumps(readMetric("0.5,0.7\n0.6,0.8\n", "m.csv", { type: "csv", xpath: "1,0" })),
    '{"1,0": 0.6}',
  );
  assertEquals(
    pyJsonDumps(readMetric("acc,auc\n0.5,0.7\n", "m.csv", { type: "hcsv", xpath: "0,auc" })),
    '{"0,auc": 0.7}',
  );
  assertEquals(readMetric("hello\n", "m.txt", { type: "raw" }), "hello");
  // a JSON file named .txt but given --type json is parsed as JSON; errors name the real file
  try {
    parseMetricText("{", "m.txt", { type: "json" });
  } catch (err) {
    assert(err instanceof DvcFileSyntaxError);
    assertEquals(err.path, "m.txt");
    assert(!err.message.includes("m.txt.json"), err.message);
  }
});
