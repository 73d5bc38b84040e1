import {
  assert,
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../../_rig/assert.ts";
import { DvcIgnore } from "../../../lib/fs/dvcignore.ts";
import { type WalkFile, walkFiles, walkFilesParallel } from "../../../lib/fs/walk.ts";
import { CairnError } from "../../../lib/errors.ts";

function tree(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "cairn-ign-" });
  for (const [p, c] of Object.entries(files)) {
    const full = `${root}/${p}`;
    Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(full, c);
  }
  return root;
}

Deno.test("walk: symlinked dirs not followed, symlinked files by target", () => {
  const root = tree({ "d/f": "data", "outside/g": "gg" });
  try {
    Deno.symlinkSync(`${root}/outside`, `${root}/d/linkdir`);
    Deno.symlinkSync(`${root}/outside/g`, `${root}/d/linkfile`);
    const files = walkFiles(`${root}/d`).files;
    const byRel = Object.fromEntries(files.map((f) => [f.rel, f]));
    assertEquals(Object.keys(byRel).sort(), ["f", "linkfile"]);
    assertStrictEquals(byRel.linkfile.size, 2);
    Deno.symlinkSync(`${root}/nowhere`, `${root}/d/broken`);
    assertThrows(() => walkFiles(`${root}/d`), /broken symlink/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("walk: stamps, modes, nested dirs, built-in ignores without rules", () => {
  const root = tree({ "a/b/c.txt": "abc", "x": "", ".git/HEAD": "ref", "a/.dvc/config": "" });
  try {
    Deno.chmodSync(`${root}/x`, 0o755);
    const files = walkFiles(root).files;
    const byRel = Object.fromEntries(files.map((f) => [f.rel, f]));
    assertEquals(Object.keys(byRel).sort(), ["a/b/c.txt", "x"]);
    const st = Deno.statSync(`${root}/a/b/c.txt`);
    assertStrictEquals(byRel["a/b/c.txt"].ino, st.ino);
    assertStrictEquals(byRel["a/b/c.txt"].mtimeMs, st.mtime!.getTime());
    assertStrictEquals(byRel["a/b/c.txt"].size, 3);
    assertStrictEquals(byRel["a/b/c.txt"].abs, `${root}/a/b/c.txt`);
    assertStrictEquals(byRel.x.mode & 0o777, 0o755);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

/** What a walk reports per file, in walk order. */
function listing(files: WalkFile[]): unknown[] {
  return files.map((f) => [f.rel, f.abs, f.ino, f.mtimeMs, f.size, f.mode, f.nlink, !!f.symlink]);
}

Deno.test("walk: every stamp as Deno.lstatSync/statSync gives it (exec bit, hardlinks, symlinks)", () => {
  const root = tree({ "a/x": "1", "a/b/y": "22", "z": "333", "outside": "4444" });
  try {
    Deno.chmodSync(`${root}/a/b/y`, 0o751);
    Deno.linkSync(`${root}/z`, `${root}/a/hard`);
    Deno.symlinkSync(`${root}/outside`, `${root}/a/b/sym`);
    // an mtime with sub-ms digits and one far in the future: both truncated as Deno does
    Deno.utimeSync(`${root}/a/x`, 1, 1700000000.1239);
    Deno.utimeSync(`${root}/z`, 1, 4102444800.9999);
    for (const f of walkFiles(root).files) {
      const st = f.symlink ? Deno.statSync(f.abs) : Deno.lstatSync(f.abs);
      const want = [st.ino, st.mtime!.getTime(), st.size, st.mode, st.nlink];
      assertEquals([f.ino, f.mtimeMs, f.size, f.mode, f.nlink], want, f.rel);
    }
    const byRel = Object.fromEntries(walkFiles(root).files.map((f) => [f.rel, f]));
    assertStrictEquals(byRel["a/hard"].nlink, 2);
    assertStrictEquals(byRel["a/b/sym"].symlink, true);
    assertStrictEquals(byRel["a/b/y"].mode & 0o777, 0o751);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

/** `n` files spread over nested folders. */
function wideTree(n: number): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`d${i % 7}/e${i % 3}/f${i}`] = `${i}`;
  files["top"] = "t";
  files["d1/.dvcignore"] = "";
  return tree(files);
}

Deno.test("walkFilesParallel: the files and order of walkFiles, with or without the Worker", async () => {
  const root = wideTree(120);
  try {
    const want = walkFiles(root);
    const seq = await walkFilesParallel(root);
    assertEquals(listing(seq.files), listing(want.files));
    assertStrictEquals(seq.byWorker ?? 0, 0, "a small tree never starts a Worker");
    for (const mainThread of [true, false]) {
      const par = await walkFilesParallel(root, {
        tuning: { parallelAfterFiles: 1, mainThread },
      });
      assertEquals(listing(par.files), listing(want.files));
      assertEquals(par.dvcignoreFiles, want.dvcignoreFiles);
      if (!mainThread) assert((par.byWorker ?? 0) > 0, "the Worker walked");
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("walkFilesParallel: an error met by the Worker is the walk's error", async () => {
  const root = wideTree(60);
  try {
    Deno.symlinkSync(`${root}/nowhere`, `${root}/d5/e2/broken`);
    await assertRejects(
      () => walkFilesParallel(root, { tuning: { parallelAfterFiles: 1, mainThread: false } }),
      CairnError,
      "broken symlink",
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("walkFilesParallel: .dvcignore rules apply in the Worker too", async () => {
  const root = wideTree(60);
  try {
    Deno.writeTextFileSync(`${root}/.dvcignore`, "e1/\nf3\n");
    const ignore = new DvcIgnore(root);
    const want = walkFiles(root, { ignore });
    assert(want.files.every((f) => !f.rel.includes("/e1/") && !f.rel.endsWith("/f3")));
    const par = await walkFilesParallel(root, {
      ignore,
      tuning: { parallelAfterFiles: 1, mainThread: false },
    });
    assertEquals(listing(par.files), listing(want.files));
    assert((par.byWorker ?? 0) > 0);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("walk: non-ASCII names and a folder larger than one read of entries", () => {
  const files: Record<string, string> = { "é/naïve файл.txt": "u", "é/日本.bin": "j" };
  // ~2,600 entries of 40+ bytes: more than the 64 KiB one getdents64 call returns
  for (let i = 0; i < 2600; i++) files[`big/${"n".repeat(20)}-${i}`] = "";
  const root = tree(files);
  try {
    const got = walkFiles(root).files.map((f) => f.rel).sort();
    const want = Object.keys(files).sort();
    assertEquals(got, want);
    for (const f of walkFiles(`${root}/é`).files) {
      assertStrictEquals(f.ino, Deno.lstatSync(f.abs).ino, f.rel);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
