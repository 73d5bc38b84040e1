import { join } from "node:path";
import { assertEquals } from "../../_rig/assert.ts";
import { FIXTURES } from "../../_rig/rig.ts";
import { parsePyJson } from "../../../lib/py/json_loads.ts";
import {
  diffTable,
  formatTable,
  metricsTable,
  type ShowResult,
} from "../../../lib/cli/render/metrics_table.ts";
import type { DiffData } from "../../../lib/metrics/compare.ts";

const PIPE = join(FIXTURES, "pipeline_repo", "expected");
const CHANGED = join(FIXTURES, "changed_repo", "expected");
const read = (dir: string, f: string) => Deno.readTextFileSync(join(dir, f));

Deno.test("metrics show table: plain and markdown match DVC", () => {
  const result = parsePyJson(read(PIPE, "metrics_show.json"), "x.json") as ShowResult;
  const td = metricsTable(result, { precision: 5, roundDigits: true });
  assertEquals(td.render() + "\n", read(PIPE, "metrics_show.txt"));
  // DVC's markdown text ends with "\n" and print() adds another.
  assertEquals(td.render({ markdown: true }) + "\n", read(PIPE, "metrics_show.md"));
});

Deno.test("params diff table matches DVC (rows sorted by param)", () => {
  for (
    const [dir, json, txt] of [
      [PIPE, "params_diff_all.json", "params_diff_all.txt"],
      [CHANGED, "params_diff.json", "params_diff.txt"],
    ]
  ) {
    const diff = parsePyJson(read(dir, json), "x.json") as DiffData;
    const t = diffTable(diff, { title: "Param", showChanges: false });
    assertEquals(formatTable(t.headers, t.rows, "plain") + "\n", read(dir, txt));
  }
});

Deno.test("metrics diff table: Change column, rounding, missing side", () => {
  const diff: DiffData = {
    "m.json": {
      acc: { old: 0.1234567, new: 0.2, diff: 0.2 - 0.1234567 },
      name: { old: "a", new: "b" },
      added: { old: null, new: 3 },
    },
  };
  const t = diffTable(diff, { title: "Metric", precision: 5, roundDigits: true });
  assertEquals(
    formatTable(t.headers, t.rows, "plain"),
    [
      "Path    Metric    HEAD     workspace    Change",
      "m.json  acc       0.12346  0.2          0.07654",
      "m.json  added     -        3            -",
      "m.json  name      a        b            -",
    ].join("\n"),
  );
  const np = diffTable(diff, { title: "Metric", noPath: true, aRev: "v1", bRev: "v2" });
  assertEquals(np.headers, ["Metric", "v1", "v2", "Change"]);
  assertEquals(
    formatTable(np.headers, np.rows.slice(0, 1), "csv"),
    "Metric,v1,v2,Change\nacc,0.1234567,0.2,0.07654330000000001\n",
  );
});
