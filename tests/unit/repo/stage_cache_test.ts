import { assert, assertEquals } from "../../_rig/assert.ts";
import { join } from "node:path";
import { cairnOk, makeRepo, removeDir, writeFiles } from "../../_rig/rig.ts";
import { openRepo } from "../../../lib/repo/repo.ts";
import { collectStages } from "../../../lib/repo/collect.ts";
import { isPyFloat } from "../../../lib/py/value.ts";

/** Make files look old enough to be cached (the cache skips just-written files). */
function age(dir: string, rels: string[]) {
  const t = new Date(Date.now() - 10_000);
  for (const r of rels) Deno.utimeSync(join(dir, r), t, t);
}

Deno.test("stage parse cache: reused when unchanged, invalidated by any file it was built from", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "params.yaml": "lr: 1.0\nname: a\n",
      "dvc.yaml":
        "vars:\n- extra.yaml\nstages:\n  s:\n    cmd: echo ${name} ${more} > o\n    params:\n    - lr\n    outs:\n    - o\n",
      "extra.yaml": "more: x\n",
    });
    age(dir, ["params.yaml", "dvc.yaml", "extra.yaml"]);
    const cmdOf = () => collectStages(openRepo(dir)).stages[0].cmd;
    assertEquals(cmdOf(), "echo a x > o");
    const cacheFile = join(dir, ".dvc", "tmp", "cairn-stages.json");
    assert(Deno.statSync(cacheFile).isFile);
    assertEquals(cmdOf(), "echo a x > o"); // from the cache
    // a params value used by ${} changes
    writeFiles(dir, { "params.yaml": "lr: 1.0\nname: bb\n" });
    age(dir, ["params.yaml"]);
    assertEquals(cmdOf(), "echo bb x > o");
    // a vars file changes
    writeFiles(dir, { "extra.yaml": "more: yy\n" });
    age(dir, ["extra.yaml"]);
    assertEquals(cmdOf(), "echo bb yy > o");
    // lock values (Python floats) survive the round trip
    cairnOk(["repro"], { cwd: dir, env: {} });
    age(dir, ["dvc.lock", "params.yaml", "dvc.yaml", "extra.yaml"]);
    collectStages(openRepo(dir));
    const p = collectStages(openRepo(dir)).stages[0].params[0];
    assert(isPyFloat(p.values?.lr), `lr should stay a float: ${JSON.stringify(p.values)}`);
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
  } finally {
    removeDir(dir);
  }
});
