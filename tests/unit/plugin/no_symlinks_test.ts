/**
 * NoSymlinks: the fast path (a folder already found real: one lstat of the
 * last component) refuses exactly what the component walk refuses.
 */
import { assert, assertEquals, assertThrows } from "../../_rig/assert.ts";
import { NoSymlinks, SymlinkRefusedError } from "../../../lib/plugin/no_symlinks.ts";

Deno.test("NoSymlinks: a symlink at the last component is refused once its folder is known", () => {
  const root = Deno.makeTempDirSync();
  const outside = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${root}/files/md5/ab`, { recursive: true });
    Deno.writeTextFileSync(`${root}/files/md5/ab/real`, "x");
    Deno.writeTextFileSync(`${outside}/secret`, "s");
    Deno.symlinkSync(`${outside}/secret`, `${root}/files/md5/ab/link`);
    const g = new NoSymlinks(root);
    // first call walks every component and remembers the folders
    const first = g.checkStat("files/md5/ab/real");
    assertEquals(first.path, `${root}/files/md5/ab/real`);
    assert(first.info?.isFile);
    // now the fast path: same answers as the walk
    const again = g.checkStat("files/md5/ab/real");
    assertEquals(again.path, `${root}/files/md5/ab/real`);
    assertEquals(again.info?.size, 1);
    assertThrows(() => g.check("files/md5/ab/link"), SymlinkRefusedError);
    assertThrows(() => g.checkStat("files/md5/ab/link"), SymlinkRefusedError);
    // parentsOnly does not look at the last component (rename replaces a link there)
    assertEquals(g.check("files/md5/ab/link", { parentsOnly: true }), `${root}/files/md5/ab/link`);
    // missing last component: fine, no info
    assertEquals(g.checkStat("files/md5/ab/missing").info, undefined);
    // `..` never takes the fast path
    assertThrows(() => g.check("files/md5/ab/../ab/real"), SymlinkRefusedError);
    // a symlinked folder below the root is refused (not remembered as real)
    Deno.symlinkSync(outside, `${root}/files/md5/cd`);
    assertThrows(() => g.check("files/md5/cd/secret"), SymlinkRefusedError);
    assertThrows(() => g.check("files/md5/cd/secret"), SymlinkRefusedError);
    // odd spellings go the slow way and give the same path
    assertEquals(g.check("files//md5/./ab/real"), `${root}/files/md5/ab/real`);
  } finally {
    Deno.removeSync(root, { recursive: true });
    Deno.removeSync(outside, { recursive: true });
  }
});
