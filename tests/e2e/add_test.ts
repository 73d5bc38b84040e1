import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import {
  cairn,
  cairnOk,
  exists,
  FIXTURES,
  git,
  makeRepo,
  readText,
  removeDir,
  run,
} from "../_rig/rig.ts";

const ADD_REPO = join(FIXTURES, "add_repo");

/** Recreate the add_repo fixture's inputs in a fresh repo. */
function addRepoInputs(dir: string) {
  run("cp", ["-a", join(ADD_REPO, "repo", "data.csv"), join(ADD_REPO, "repo", "images"), dir], {
    cwd: dir,
  });
  run("chmod", ["-R", "u+w", dir], { cwd: dir });
}

function cacheTree(dir: string): string[] {
  return run("find", [".dvc/cache", "-type", "f"], { cwd: dir }).stdout.split("\n").filter(Boolean)
    .sort();
}

Deno.test("add: .dvc, .gitignore and cache are byte-identical to DVC's", () => {
  const dir = makeRepo();
  try {
    addRepoInputs(dir);
    const a = cairnOk(["add", "data.csv"], { cwd: dir, subprocess: true });
    // DVC's output, with the hint naming the command the user runs
    const asCairn = (t: string) =>
      t.replace("dvc config core.autostage", "cairn config core.autostage");
    assertEquals(a.stdout, asCairn(readText(ADD_REPO, "expected/add_data.txt")));
    const b = cairnOk(["add", "images/"], { cwd: dir, subprocess: true });
    assertEquals(b.stdout, asCairn(readText(ADD_REPO, "expected/add_images.txt")));
    assertEquals(readText(dir, "data.csv.dvc"), readText(ADD_REPO, "repo/data.csv.dvc"));
    assertEquals(readText(dir, "images.dvc"), readText(ADD_REPO, "repo/images.dvc"));
    assertEquals(readText(dir, ".gitignore"), readText(ADD_REPO, "repo/_gitignore"));
    assertEquals(readText(dir, ".dvc/.gitignore"), readText(ADD_REPO, "repo/.dvc/_gitignore"));
    const expected = run("find", [".dvc/cache", "-type", "f"], { cwd: join(ADD_REPO, "repo") })
      .stdout.split("\n").filter(Boolean).sort();
    assertEquals(cacheTree(dir), expected);
    // cache objects are read-only and hold the content
    const obj = join(dir, ".dvc/cache/files/md5/9e/48a184411e31bcb3c18ca7efb897e6");
    assertEquals(Deno.statSync(obj).mode! & 0o777, 0o444);
    assertEquals(Deno.readTextFileSync(obj), readText(dir, "data.csv"));
    // the workspace copy stays a normal writable file with the default cache.type
    assertEquals(Deno.statSync(join(dir, "data.csv")).mode! & 0o200, 0o200);
    const st = cairnOk(["status"], { cwd: dir, subprocess: true });
    assertEquals(st.stdout, readText(ADD_REPO, "expected/status.txt"));
    assertEquals(cairnOk(["status", "--json"], { cwd: dir, subprocess: true }).stdout.trim(), "{}");
  } finally {
    removeDir(dir);
  }
});

Deno.test("add: several targets, --glob, -o, --no-commit, re-add after change", () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(join(dir, "a.txt"), "a\n");
    Deno.writeTextFileSync(join(dir, "b.txt"), "b\n");
    Deno.writeTextFileSync(join(dir, "c.log"), "c\n");
    cairnOk(["add", "a.txt", "b.txt"], { cwd: dir });
    assert(exists(join(dir, "a.txt.dvc")) && exists(join(dir, "b.txt.dvc")));
    cairnOk(["add", "--glob", "*.log"], { cwd: dir });
    assert(exists(join(dir, "c.log.dvc")));
    Deno.writeTextFileSync(join(dir, "a.txt"), "a2\n");
    cairnOk(["add", "a.txt"], { cwd: dir });
    assertMatch(readText(dir, "a.txt.dvc"), /md5: 1597a5a9948014489de663c8fb4438db/);
    Deno.writeTextFileSync(join(dir, "nc.txt"), "nc\n");
    cairnOk(["add", "--no-commit", "nc.txt"], { cwd: dir });
    assert(exists(join(dir, "nc.txt.dvc")));
    assert(!cacheTree(dir).some((p) => p.endsWith("78c42a3b32ce7ef8e71b4c881af57993")));
    const ext = Deno.makeTempDirSync();
    Deno.writeTextFileSync(join(ext, "outside.txt"), "x\n");
    cairnOk(["add", join(ext, "outside.txt"), "-o", "inside.txt"], { cwd: dir });
    assertEquals(readText(dir, "inside.txt"), "x\n");
    assert(exists(join(dir, "inside.txt.dvc")));
    removeDir(ext);
  } finally {
    removeDir(dir);
  }
});

Deno.test("add: refuses git-tracked paths, files inside tracked dirs, missing targets", () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(join(dir, "tracked.txt"), "t\n");
    git(["add", "tracked.txt"], dir);
    const r1 = cairn(["add", "tracked.txt"], { cwd: dir });
    assertEquals(r1.code, 1);
    assertMatch(r1.stderr, /output 'tracked\.txt' is already tracked by SCM \(e\.g\. Git\)/);
    Deno.mkdirSync(join(dir, "d"));
    Deno.writeTextFileSync(join(dir, "d/f.txt"), "f\n");
    cairnOk(["add", "d"], { cwd: dir });
    const r2 = cairn(["add", "d/f.txt"], { cwd: dir });
    assertEquals(r2.code, 1);
    assertMatch(r2.stderr, /overlapping with other DVC tracked output: 'd'/);
    const r3 = cairn(["add", "nope.txt"], { cwd: dir });
    assertEquals(r3.code, 1);
    assertMatch(r3.stderr, /nope\.txt/);
    assert(!exists(join(dir, "nope.txt.dvc")));
    const r4 = cairn(["add", "/etc/hostname"], { cwd: dir });
    assertEquals(r4.code, 1);
    assertMatch(r4.stderr, /outside of the repository/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("add: outside a repo exits 253, unknown option 254", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(dir, "x"), "x");
    assertEquals(cairn(["add", "x"], { cwd: dir }).code, 253);
    assertEquals(cairn(["add", "--bogus", "x"], { cwd: dir }).code, 254);
  } finally {
    removeDir(dir);
  }
});
