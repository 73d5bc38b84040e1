import { assertEquals, assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
import { walkFiles } from "../../../lib/fs/walk.ts";

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
