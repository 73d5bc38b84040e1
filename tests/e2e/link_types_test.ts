/** cache.type and cache.shared as DVC interprets them, on the real filesystem. */
import { join } from "node:path";
import { assert, assertEquals } from "../_rig/assert.ts";
import { cairnOk, makeRepo, readText, removeDir, writeFiles } from "../_rig/rig.ts";

function inode(p: string) {
  return Deno.statSync(p).ino;
}

Deno.test("cache.type: hardlink, symlink, copy and the reflink,copy fallback; --relink switches", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "h.txt": "h\n", "d/a": "a\n" });
    const obj = (md5: string) => join(dir, ".dvc/cache/files/md5", md5.slice(0, 2), md5.slice(2));
    // default reflink,copy: reflink is unsupported on ext4, so an independent writable copy
    cairnOk(["add", "h.txt"], { cwd: dir });
    const hObj = obj("01fbdc44ef819db6273bc30965a23814");
    assert(inode(join(dir, "h.txt")) !== inode(hObj), "a copy, not a link");
    assert(Deno.statSync(join(dir, "h.txt")).mode! & 0o200, "workspace copy is writable");
    cairnOk(["config", "cache.type", "hardlink"], { cwd: dir });
    cairnOk(["checkout", "--relink"], { cwd: dir });
    assertEquals(inode(join(dir, "h.txt")), inode(hObj), "hardlinked to the cache");
    cairnOk(["add", "d"], { cwd: dir });
    const aObj = obj("60b725f10c9c85c70d97880dfe8191b3");
    assertEquals(inode(join(dir, "d/a")), inode(aObj));
    cairnOk(["config", "cache.type", "symlink"], { cwd: dir });
    cairnOk(["checkout", "--relink"], { cwd: dir });
    assertEquals(Deno.readLinkSync(join(dir, "h.txt")), hObj);
    assertEquals(Deno.realPathSync(join(dir, "d/a")), aObj);
    cairnOk(["config", "cache.type", "copy"], { cwd: dir });
    cairnOk(["checkout", "--relink"], { cwd: dir });
    assert(!Deno.lstatSync(join(dir, "h.txt")).isSymlink);
    assert(inode(join(dir, "h.txt")) !== inode(hObj));
    assertEquals(readText(dir, "h.txt"), "h\n");
    assertEquals(Deno.statSync(hObj).mode! & 0o777, 0o444, "objects stay read-only");
  } finally {
    removeDir(dir);
  }
});

Deno.test("cache.shared=group: cache dirs are group-writable", () => {
  const dir = makeRepo();
  try {
    cairnOk(["config", "cache.shared", "group"], { cwd: dir, subprocess: true });
    writeFiles(dir, { "s.txt": "s\n" });
    cairnOk(["add", "s.txt"], { cwd: dir, subprocess: true });
    const sub = join(dir, ".dvc/cache/files/md5/", "f4");
    assertEquals(Deno.statSync(sub).mode! & 0o2775, 0o2775);
  } finally {
    removeDir(dir);
  }
});
