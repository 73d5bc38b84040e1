/** lib/repo/commit.ts, gc.ts and diff.ts called directly on real repos with git history. */
import { assertEquals, assertMatch, assertRejects } from "../../_rig/assert.ts";
import { add } from "../../../lib/repo/add.ts";
import { commit } from "../../../lib/repo/commit.ts";
import { gc } from "../../../lib/repo/gc.ts";
import { diff } from "../../../lib/repo/diff.ts";
import { status } from "../../../lib/repo/status.ts";
import { CairnError, UsageError } from "../../../lib/errors.ts";
import { md5Of, withRepo } from "./_repo.ts";

Deno.test("commit: stores the workspace version of a .dvc output and records its hash", () =>
  withRepo(async (t) => {
    t.write({ "m.bin": "v1\n" });
    await add(t.open(), ["m.bin"]);
    t.write({ "m.bin": "v2\n" });
    const r = await commit(t.open(), ["m.bin.dvc"]);
    assertEquals(r.committed, ["m.bin.dvc"]);
    assertMatch(t.read("m.bin.dvc"), new RegExp(`md5: ${md5Of("v2\n")}`));
    assertEquals(t.objects(), [md5Of("v1\n"), md5Of("v2\n")].sort());
    assertEquals((await status(t.open())).stages, []);
  }));

Deno.test("commit: a pipeline stage whose deps changed needs force; then dvc.lock has them", () =>
  withRepo(async (t) => {
    t.write({
      "in.txt": "1\n",
      "out.txt": "made\n",
      "dvc.yaml": "stages:\n  s:\n    cmd: cp in.txt out.txt\n    deps:\n    - in.txt\n" +
        "    outs:\n    - out.txt\n",
    });
    // never recorded: commit writes dvc.lock without asking
    assertEquals((await commit(t.open(), [])).committed, ["s"]);
    assertMatch(t.read("dvc.lock"), new RegExp(`md5: ${md5Of("1\n")}`));
    t.write({ "in.txt": "2\n" });
    await assertRejects(
      () => commit(t.open(), ["s"]),
      CairnError,
      /dependencies \["in.txt"\] of stage: 's' changed/,
    );
    assertMatch(t.read("dvc.lock"), new RegExp(`md5: ${md5Of("1\n")}`), "unchanged when refused");
    await commit(t.open(), ["s"], { force: true });
    assertMatch(t.read("dvc.lock"), new RegExp(`md5: ${md5Of("2\n")}`));
  }));

Deno.test("gc: keeps what the workspace (and asked revisions) use; dry run removes nothing", () =>
  withRepo(async (t) => {
    t.write({ "f.txt": "old\n" });
    await add(t.open(), ["f.txt"]);
    t.commitAll("old");
    t.write({ "f.txt": "new\n" });
    await add(t.open(), ["f.txt"]);
    const both = [md5Of("old\n"), md5Of("new\n")].sort();
    await assertRejects(() => gc(t.open(), {}), UsageError);

    const keepHead = await gc(t.open(), { workspace: true, revs: ["HEAD"] });
    assertEquals(keepHead.removed, []);
    assertEquals(t.objects(), both);

    const dry = await gc(t.open(), { workspace: true, dryRun: true });
    assertEquals(dry.removed.map((o) => o.md5), [md5Of("old\n")]);
    assertEquals(t.objects(), both, "dry run removes nothing");

    const r = await gc(t.open(), { workspace: true });
    assertEquals(r.removed.map((o) => o.md5), [md5Of("old\n")]);
    assertEquals(t.objects(), [md5Of("new\n")]);
    assertEquals(t.read("f.txt"), "new\n");
  }));

Deno.test("diff: added, modified, deleted, renamed between revisions and the workspace", () =>
  withRepo(async (t) => {
    t.write({ "a.txt": "a\n", "b.txt": "b\n", "d/x.txt": "x\n" });
    await add(t.open(), ["a.txt", "b.txt", "d"]);
    const v1 = t.commitAll("v1");
    t.write({ "a.txt": "a2\n", "d/y.txt": "y\n" });
    await add(t.open(), ["a.txt", "d"]);
    Deno.renameSync(`${t.dir}/b.txt`, `${t.dir}/c.txt`);
    Deno.removeSync(`${t.dir}/b.txt.dvc`);
    await add(t.open(), ["c.txt"]);

    const ws = await diff(t.open(), v1);
    assertEquals(ws.added.map((e) => e.path), ["d/y.txt"]);
    assertEquals(ws.modified.map((e) => e.path), ["a.txt", "d/"]);
    assertEquals(ws.modified[0], { path: "a.txt", oldHash: md5Of("a\n"), newHash: md5Of("a2\n") });
    assertEquals(ws.renamed, [{ oldPath: "b.txt", newPath: "c.txt", hash: md5Of("b\n") }]);
    assertEquals(ws.deleted, []);

    const v2 = t.commitAll("v2");
    const back = await diff(t.open(), v2, v1);
    assertEquals(back.deleted.map((e) => e.path), ["d/y.txt"]);
    assertEquals(back.renamed, [{ oldPath: "c.txt", newPath: "b.txt", hash: md5Of("b\n") }]);
    assertEquals((await diff(t.open(), v1, v2, { targets: ["a.txt"] })).modified.length, 1);
    await assertRejects(() => diff(t.open(), "no-such-rev"), CairnError, /unknown Git revision/);
  }));
