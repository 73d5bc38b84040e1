/** e2e: the data-versioning verbs on real git repos (checkout, status, commit, gc, diff, ...). */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import {
  cairn,
  cairnOk,
  exists,
  git,
  makeRepo,
  readText,
  removeDir,
  run,
  writeFiles,
} from "../_rig/rig.ts";

function objects(dir: string): string[] {
  return run("find", [".dvc/cache/files", "-type", "f"], { cwd: dir }).stdout.split("\n")
    .filter(Boolean).map((p) => p.split("/").slice(-2).join("")).sort();
}

function commitAll(dir: string, msg: string) {
  git(["add", "-A"], dir);
  git(["commit", "-qm", msg], dir);
}

Deno.test("checkout: restores modified/missing outputs, removes extra files of a dir, follows git", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "data/a.txt": "a1\n", "data/sub/b.txt": "b1\n", "f.txt": "f1\n" });
    cairnOk(["add", "data", "f.txt"], { cwd: dir, subprocess: true });
    commitAll(dir, "v1");
    writeFiles(dir, { "data/a.txt": "a2\n", "data/new.txt": "n\n", "f.txt": "f2\n" });
    Deno.removeSync(join(dir, "data/sub/b.txt"));
    cairnOk(["add", "data", "f.txt"], { cwd: dir, subprocess: true });
    commitAll(dir, "v2");
    git(["checkout", "-q", "HEAD~1"], dir);
    const r = cairnOk(["checkout"], { cwd: dir, subprocess: true });
    assertMatch(r.stdout, /M\s+data[/\\]/);
    assertMatch(r.stdout, /M\s+f\.txt/);
    assertEquals(readText(dir, "data/a.txt"), "a1\n");
    assertEquals(readText(dir, "data/sub/b.txt"), "b1\n");
    assert(!exists(join(dir, "data/new.txt")), "file not in v1 removed");
    assertEquals(readText(dir, "f.txt"), "f1\n");
    git(["checkout", "-q", "main"], dir);
    Deno.removeSync(join(dir, "f.txt"));
    const s = cairnOk(["checkout", "--summary"], { cwd: dir, subprocess: true });
    assertMatch(s.stdout, /added|modified/);
    assertEquals(readText(dir, "f.txt"), "f2\n");
    assertEquals(readText(dir, "data/new.txt"), "n\n");
    assertEquals(
      cairnOk(["checkout", "--summary"], { cwd: dir, subprocess: true }).stdout.trim(),
      "No changes.",
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("checkout: a missing cache object is reported per path and nothing else is touched", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "x.txt": "x\n", "y.txt": "y\n" });
    cairnOk(["add", "x.txt", "y.txt"], { cwd: dir });
    Deno.removeSync(join(dir, "x.txt"));
    Deno.removeSync(join(dir, "y.txt"));
    run("chmod", ["-R", "u+w", ".dvc/cache"], { cwd: dir });
    Deno.removeSync(join(dir, ".dvc/cache/files/md5/40/1b30e3b8b5d629635a5c613cdb7919"));
    const r = cairn(["checkout"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /Checkout failed for following targets:\nx\.txt/);
    assertEquals(readText(dir, "y.txt"), "y\n");
    assert(!exists(join(dir, "x.txt")));
  } finally {
    removeDir(dir);
  }
});

Deno.test("checkout: a corrupted cache object is detected and not used", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "x.txt": "x\n" });
    cairnOk(["add", "x.txt"], { cwd: dir });
    const obj = join(dir, ".dvc/cache/files/md5/40/1b30e3b8b5d629635a5c613cdb7919");
    Deno.chmodSync(obj, 0o644);
    Deno.writeTextFileSync(obj, "corrupt\n");
    Deno.removeSync(join(dir, "x.txt"));
    const r = cairn(["checkout"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /corrupt|x\.txt/);
    assert(!exists(join(dir, "x.txt")) || readText(dir, "x.txt") !== "corrupt\n");
  } finally {
    removeDir(dir);
  }
});

Deno.test("status: modified, deleted and not-in-cache outputs; -q exit code", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "m.txt": "m\n", "d.txt": "d\n", "dir/a": "a\n" });
    cairnOk(["add", "m.txt", "d.txt", "dir"], { cwd: dir });
    assertEquals(cairn(["status", "-q"], { cwd: dir }).code, 0);
    writeFiles(dir, { "m.txt": "changed\n", "dir/b": "b\n" });
    Deno.removeSync(join(dir, "d.txt"));
    const r = cairn(["status"], { cwd: dir });
    assertEquals(r.code, 0);
    assertEquals(
      r.stdout,
      "d.txt.dvc:\n\tchanged outs:\n\t\tdeleted:            d.txt\n" +
        "dir.dvc:\n\tchanged outs:\n\t\tmodified:           dir\n" +
        "m.txt.dvc:\n\tchanged outs:\n\t\tmodified:           m.txt\n",
    );
    assertEquals(JSON.parse(cairnOk(["status", "--json"], { cwd: dir }).stdout), {
      "d.txt.dvc": [{ "changed outs": { "d.txt": "deleted" } }],
      "dir.dvc": [{ "changed outs": { "dir": "modified" } }],
      "m.txt.dvc": [{ "changed outs": { "m.txt": "modified" } }],
    });
    assertEquals(cairn(["status", "-q"], { cwd: dir }).code, 1);
  } finally {
    removeDir(dir);
  }
});

Deno.test("commit: records the workspace version of an output", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "c.txt": "one\n" });
    cairnOk(["add", "c.txt"], { cwd: dir });
    writeFiles(dir, { "c.txt": "two\n" });
    cairnOk(["commit", "-f", "c.txt.dvc"], { cwd: dir });
    assertMatch(readText(dir, "c.txt.dvc"), /md5: c193497a1a06b2c72230e6146ff47080/);
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
  } finally {
    removeDir(dir);
  }
});

Deno.test("gc -w keeps what the workspace uses, removes the rest; --dry removes nothing", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "g.txt": "v1\n", "d/x": "x1\n" });
    cairnOk(["add", "g.txt", "d"], { cwd: dir });
    writeFiles(dir, { "g.txt": "v2\n", "d/x": "x2\n" });
    cairnOk(["add", "g.txt", "d"], { cwd: dir });
    const before = objects(dir);
    assertEquals(before.length, 6);
    cairnOk(["gc", "-w", "--dry", "-f"], { cwd: dir });
    assertEquals(objects(dir), before);
    const r = cairnOk(["gc", "-w", "-f"], { cwd: dir });
    assertMatch(r.stdout, /Removed 3 objects from repo cache\./);
    assertEquals(objects(dir).length, 3);
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
    assertEquals(cairn(["gc"], { cwd: dir }).code, 254, "a scope flag is required (usage error)");
  } finally {
    removeDir(dir);
  }
});

Deno.test("diff between git revisions, --json and text", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "data/a": "a\n", "data/b": "b\n", "f": "f\n" });
    cairnOk(["add", "data", "f"], { cwd: dir });
    commitAll(dir, "v1");
    writeFiles(dir, { "data/a": "a2\n", "data/c": "c\n", "f": "f2\n" });
    Deno.removeSync(join(dir, "data/b"));
    cairnOk(["add", "data", "f"], { cwd: dir });
    commitAll(dir, "v2");
    const j = JSON.parse(cairnOk(["diff", "HEAD~1", "HEAD", "--json"], { cwd: dir }).stdout);
    assertEquals(j.added, [{ path: "data/c" }]);
    assertEquals(j.deleted, [{ path: "data/b" }]);
    assertEquals(j.modified, [{ path: "data/" }, { path: "data/a" }, { path: "f" }]);
    const t = cairnOk(["diff", "HEAD~1"], { cwd: dir }).stdout;
    assertMatch(t, / {4}data\/c\n/);
    assertMatch(t, /^Added:\n/);
    assertMatch(t, /files summary: 1 added, 1 deleted, 2 modified/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("remove, move, unprotect, ls, data status, check-ignore, destroy", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "r.txt": "r\n", "mv.txt": "m\n", "d/x": "x\n", ".dvcignore": "*.tmp\n" });
    cairnOk(["config", "cache.type", "hardlink"], { cwd: dir });
    cairnOk(["add", "r.txt", "mv.txt", "d"], { cwd: dir });
    cairnOk(["remove", "r.txt.dvc"], { cwd: dir });
    assert(!exists(join(dir, "r.txt.dvc")));
    assert(exists(join(dir, "r.txt")), "data kept without --outs");
    assert(!readText(dir, ".gitignore").includes("/r.txt"));
    cairnOk(["move", "mv.txt", "moved.txt"], { cwd: dir });
    assert(exists(join(dir, "moved.txt.dvc")) && !exists(join(dir, "mv.txt.dvc")));
    assertEquals(readText(dir, "moved.txt"), "m\n");
    assert(readText(dir, ".gitignore").includes("/moved.txt"));
    assertEquals(Deno.statSync(join(dir, "moved.txt")).mode! & 0o222, 0, "hardlinked = read-only");
    cairnOk(["unprotect", "moved.txt"], { cwd: dir });
    Deno.writeTextFileSync(join(dir, "moved.txt"), "edited\n");
    assertEquals(readText(dir, "moved.txt"), "edited\n");
    assertEquals(readText(dir, ".dvc/cache/files/md5/69/b64623f86def16ce17d454b8be41ae"), "m\n");
    const ls = JSON.parse(cairnOk(["ls", ".", "-R", "--dvc-only", "--json"], { cwd: dir }).stdout);
    assertEquals(ls.map((e: { path: string }) => e.path).sort(), ["d/x", "moved.txt"]);
    commitAll(dir, "tracked");
    const ds = JSON.parse(cairnOk(["data", "status", "--granular", "--json"], { cwd: dir }).stdout);
    assertEquals(ds, { uncommitted: { modified: ["moved.txt"] } });
    assertEquals(cairnOk(["check-ignore", "a.tmp"], { cwd: dir }).stdout.trim(), "a.tmp");
    assertEquals(cairn(["check-ignore", "a.txt"], { cwd: dir }).code, 1);
    cairnOk(["destroy", "-f"], { cwd: dir });
    assert(!exists(join(dir, ".dvc")) && !exists(join(dir, "moved.txt.dvc")));
    assertEquals(readText(dir, "d/x"), "x\n", "destroy keeps the data");
  } finally {
    removeDir(dir);
  }
});
