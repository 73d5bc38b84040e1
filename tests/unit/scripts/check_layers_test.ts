import { assertEquals, assertMatch } from "../../_rig/assert.ts";
import { folderOf, layerOf, layerViolations } from "../../../scripts/check_layers.ts";

Deno.test("check_layers: folders and their layers", () => {
  assertEquals(folderOf("lib/cli/render/dag.ts"), "lib/cli");
  assertEquals(folderOf("plugins/remote_s3/mod.ts"), "plugins/remote_s3");
  assertEquals(folderOf("lib/errors.ts"), "lib/errors.ts");
  assertEquals(layerOf("plugins/remote_s3") > layerOf("lib/repo"), true);
  assertEquals(layerOf("lib/py") > layerOf("lib/hash"), true);
  assertEquals(layerOf("lib/nowhere"), -1);
});

Deno.test("check_layers: downward imports pass", () => {
  assertEquals(
    layerViolations([
      { from: "lib/cli/main.ts", to: "lib/repo/add.ts" },
      { from: "lib/repo/add.ts", to: "lib/cache/checkout.ts" },
      { from: "lib/cache/checkout.ts", to: "lib/py/value.ts" },
      { from: "lib/py/value.ts", to: "lib/py/format.ts" },
    ]),
    [],
  );
});

Deno.test("check_layers: an upward import, a cycle and an unknown folder fail", () => {
  const up = layerViolations([{ from: "lib/metrics/show.ts", to: "lib/repo/repo.ts" }]);
  assertEquals(up, ["lib/metrics/show.ts imports lib/repo/repo.ts (a higher layer)"]);
  const cycle = layerViolations([
    { from: "lib/dvcfile/a.ts", to: "lib/params/b.ts" },
    { from: "lib/params/b.ts", to: "lib/dvcfile/c.ts" },
  ]);
  assertEquals(cycle.length, 1);
  assertMatch(cycle[0], /^folder cycle lib\/dvcfile <-> lib\/params:/);
  assertEquals(layerViolations([{ from: "lib/new/x.ts", to: "lib/errors.ts" }]), [
    "lib/new: not in the layer table",
  ]);
});
