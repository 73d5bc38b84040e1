/** lib/repo/revisions.ts: which revisions are selected, and reading the repo as it was at one. */
import { assert, assertEquals, assertThrows } from "../../_rig/assert.ts";
import { git } from "../../_rig/rig.ts";
import { add } from "../../../lib/repo/add.ts";
import {
  activeBranch,
  namedRevision,
  openRevision,
  resolveRevision,
  selectRevisions,
  UnknownRevisionError,
  WORKSPACE,
} from "../../../lib/repo/revisions.ts";
import { md5Of, type TestRepo, withRepo } from "./_repo.ts";

const text = (r: ReturnType<ReturnType<typeof openRevision>["read"]>) =>
  r.status === "ok" ? new TextDecoder().decode(r.bytes) : r.status;

/** v1: params.yaml and data/ (tracked); v2: data/b.txt changed, data/c.txt added. */
async function history(t: TestRepo): Promise<{ v1: string; v2: string }> {
  t.write({ "params.yaml": "lr: 1\n", "data/a.txt": "a\n", "data/b.txt": "b1\n" });
  await add(t.open(), ["data"]);
  const v1 = t.commitAll("v1");
  git(["tag", "v1.0"], t.dir);
  t.write({ "params.yaml": "lr: 2\n", "data/b.txt": "b2\n", "data/c.txt": "c\n" });
  await add(t.open(), ["data"]);
  const v2 = t.commitAll("v2");
  return { v1, v2 };
}

Deno.test("selectRevisions: DVC's brancher keys (workspace, names joined by sha)", () =>
  withRepo(async (t) => {
    const { v1, v2 } = await history(t);
    const repo = t.open();
    assertEquals(selectRevisions(repo), [{ key: "", sha: null }]);
    assertEquals(selectRevisions(repo, { revs: ["HEAD~1"] }), [
      WORKSPACE,
      { key: "HEAD~1", sha: v1 },
    ]);
    assertEquals(selectRevisions(repo, { revs: ["v1.0", "HEAD~1"], workspace: false }), [
      { key: "v1.0,HEAD~1", sha: v1 },
    ]);
    assertEquals(selectRevisions(repo, { allBranches: true, allTags: true }), [
      WORKSPACE,
      { key: "main", sha: v2 },
      { key: "v1.0", sha: v1 },
    ]);
    assertEquals(
      selectRevisions(repo, { allCommits: true }).map((r) => r.sha).sort(),
      [null, v1, v2, git(["rev-list", "--max-parents=0", "HEAD"], t.dir).trim()].sort(),
    );
    assertEquals(resolveRevision(repo, "v1.0"), v1);
    assertEquals(namedRevision(repo, "workspace"), WORKSPACE);
    assertEquals(activeBranch(repo), "main");
    assertThrows(() => resolveRevision(repo, "nope"), UnknownRevisionError);
  }));

Deno.test("openRevision: files from git, tracked data from the cache, as at that commit", () =>
  withRepo(async (t) => {
    const { v1 } = await history(t);
    const repo = t.open();
    const old = openRevision(repo, { key: "v1.0", sha: v1 });
    assert(!old.isWorkspace);
    assertEquals(text(old.read("params.yaml")), "lr: 1\n");
    assertEquals(old.read("params.yaml"), {
      status: "ok",
      bytes: new TextEncoder().encode("lr: 1\n"),
      source: "git",
    });
    assertEquals(text(old.read("data/b.txt")), "b1\n");
    assertEquals(old.read("data/c.txt"), { status: "not-found" });
    assert(old.isDir("data") && old.exists("data/a.txt") && !old.exists("data/c.txt"));
    assertEquals(old.find("data"), ["data/a.txt", "data/b.txt"]);
    assertEquals([...old.outputs().keys()], ["data"]);
    assertEquals(old.index().dvcFiles, ["data.dvc"]);

    const ws = openRevision(repo);
    assert(ws.isWorkspace);
    assertEquals(text(ws.read("data/b.txt")), "b2\n");
    assertEquals(ws.find("data"), ["data/a.txt", "data/b.txt", "data/c.txt"]);

    // a tracked file whose object is gone reads as missing, naming the object
    Deno.removeSync(`${t.dir}/data/b.txt`);
    const md5 = md5Of("b1\n");
    Deno.chmodSync(`${t.dir}/.dvc/cache/files/md5/${md5.slice(0, 2)}`, 0o755);
    Deno.removeSync(`${t.dir}/.dvc/cache/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`);
    assertEquals(openRevision(t.open(), { key: "v1.0", sha: v1 }).read("data/b.txt"), {
      status: "missing",
      md5,
      output: "data",
    });
  }));
