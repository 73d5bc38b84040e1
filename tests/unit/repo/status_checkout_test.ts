/** lib/repo/status.ts and checkout.ts called directly on real repos. */
import { assert, assertEquals, assertRejects } from "../../_rig/assert.ts";
import { join } from "node:path";
import { add } from "../../../lib/repo/add.ts";
import { status, statusJson } from "../../../lib/repo/status.ts";
import { checkout, CheckoutFailed } from "../../../lib/repo/checkout.ts";
import { run } from "../../_rig/rig.ts";
import { md5Of, withRepo } from "./_repo.ts";

Deno.test("status: clean after add; modified, deleted and not-in-cache outputs", () =>
  withRepo(async (t) => {
    t.write({ "a.txt": "a\n", "b.txt": "b\n", "d/x.txt": "x\n" });
    await add(t.open(), ["a.txt", "b.txt", "d"]);
    const clean = await status(t.open());
    assertEquals(clean.stages, []);
    assertEquals(clean.empty, false);

    t.write({ "a.txt": "changed\n", "d/x.txt": "changed\n" });
    Deno.removeSync(join(t.dir, "b.txt"));
    const r = await status(t.open());
    assertEquals(statusJson(r), {
      "a.txt.dvc": [{ "changed outs": { "a.txt": "modified" } }],
      "b.txt.dvc": [{ "changed outs": { "b.txt": "deleted" } }],
      "d.dvc": [{ "changed outs": { "d": "modified" } }],
    });
    // a target naming one output shows only that output
    assertEquals(Object.keys(statusJson(await status(t.open(), ["a.txt"]))), ["a.txt.dvc"]);

    // the object gone from the cache: the unchanged output is "not in cache"
    t.write({ "a.txt": "a\n" });
    run("chmod", ["-R", "u+w", ".dvc/cache"], { cwd: t.dir });
    const md5 = md5Of("a\n");
    Deno.removeSync(join(t.dir, ".dvc/cache/files/md5", md5.slice(0, 2), md5.slice(2)));
    assertEquals(statusJson(await status(t.open(), ["a.txt.dvc"])), {
      "a.txt.dvc": [{ "changed outs": { "a.txt": "not in cache" } }],
    });
  }));

Deno.test("status: a repo without stages is empty; a changed pipeline dep is reported", () =>
  withRepo(async (t) => {
    assertEquals((await status(t.open())).empty, true);
    t.write({
      "in.txt": "1\n",
      "dvc.yaml": "stages:\n  copy:\n    cmd: cp in.txt out.txt\n    deps:\n    - in.txt\n" +
        "    outs:\n    - out.txt\n",
    });
    const never = await status(t.open());
    assertEquals(never.stages.map((s) => s.address), ["copy"]);
    assertEquals(never.stages[0].items, [
      { "changed deps": { "in.txt": "modified" } }, // DVC: no recorded hash differs from any
      { "changed outs": { "out.txt": "deleted" } },
    ]);
  }));

Deno.test("checkout: restores deleted and modified outputs, reports what it did", () =>
  withRepo(async (t) => {
    t.write({ "f.txt": "f\n", "d/a.txt": "a\n", "d/b.txt": "b\n" });
    await add(t.open(), ["f.txt", "d"]);
    Deno.removeSync(join(t.dir, "f.txt"));
    t.write({ "d/a.txt": "edited\n", "d/extra.txt": "extra\n" });
    const s = await checkout(t.open(), [], { force: true });
    assertEquals(s.added, ["f.txt"]);
    assertEquals(s.modified, ["d/"]);
    assertEquals(s.failed, []);
    assertEquals(t.read("f.txt"), "f\n");
    assertEquals(t.read("d/a.txt"), "a\n");
    assert(!t.exists("d/extra.txt"), "a file the listing does not have is removed");
    const again = await checkout(t.open());
    assertEquals([again.added, again.modified, again.deleted], [[], [], []]);
  }));

Deno.test("checkout: a target limits it; a missing object fails that output only", () =>
  withRepo(async (t) => {
    t.write({ "x.txt": "x\n", "y.txt": "y\n" });
    await add(t.open(), ["x.txt", "y.txt"]);
    Deno.removeSync(join(t.dir, "x.txt"));
    Deno.removeSync(join(t.dir, "y.txt"));
    const only = await checkout(t.open(), ["y.txt"]);
    assertEquals(only.added, ["y.txt"]);
    assert(!t.exists("x.txt"));
    run("chmod", ["-R", "u+w", ".dvc/cache"], { cwd: t.dir });
    const md5 = md5Of("x\n");
    Deno.removeSync(join(t.dir, ".dvc/cache/files/md5", md5.slice(0, 2), md5.slice(2)));
    await assertRejects(() => checkout(t.open()), CheckoutFailed, /x\.txt/);
    assert(!t.exists("x.txt"));
    assertEquals(t.read("y.txt"), "y\n");
  }));
