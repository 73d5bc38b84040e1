/** Which links lib/repo/dvc_dir_guard.ts looks at (the refusals: tests/security/dvc_dir_links_test.ts). */
import { assertEquals, assertThrows } from "../../_rig/assert.ts";
import { git, removeDir } from "../../_rig/rig.ts";
import { guardDvcDirs, LinkedDvcDirError, linkedDvcDirs } from "../../../lib/repo/dvc_dir_guard.ts";

Deno.test("linkedDvcDirs: .dvc, .dvc/tmp, its entries and theirs, nothing deeper", () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-dvcguard-" });
  try {
    assertEquals(linkedDvcDirs(root), [], "no .dvc");
    Deno.mkdirSync(`${root}/.dvc`);
    assertEquals(linkedDvcDirs(root), [], "no .dvc/tmp");
    Deno.mkdirSync(`${root}/.dvc/tmp/exps`, { recursive: true });
    Deno.writeTextFileSync(`${root}/.dvc/tmp/lock`, "");
    Deno.mkdirSync(`${root}/.dvc/tmp/exps/run`);
    Deno.symlinkSync("/", `${root}/.dvc/tmp/exps/run/x`);
    assertEquals(
      linkedDvcDirs(root),
      [],
      "plain files and folders; a link three levels down is not looked at",
    );
    Deno.symlinkSync("/etc/passwd", `${root}/.dvc/tmp/exps/cairn-worker.log`);
    assertEquals(linkedDvcDirs(root), [".dvc/tmp/exps/cairn-worker.log"], "two levels down");
    Deno.removeSync(`${root}/.dvc/tmp/exps/cairn-worker.log`);
    Deno.symlinkSync("/nonexistent", `${root}/.dvc/tmp/cairn-state.db`);
    assertEquals(linkedDvcDirs(root), [".dvc/tmp/cairn-state.db"], "a dangling link counts");
    Deno.removeSync(`${root}/.dvc/tmp`, { recursive: true });
    Deno.symlinkSync("/tmp", `${root}/.dvc/tmp`);
    assertEquals(linkedDvcDirs(root), [".dvc/tmp"]);
    Deno.removeSync(`${root}/.dvc`, { recursive: true });
    Deno.symlinkSync("/tmp", `${root}/.dvc`);
    assertEquals(linkedDvcDirs(root), [".dvc"], "not followed further");
  } finally {
    removeDir(root);
  }
});

Deno.test("guardDvcDirs: tracked link refused (255), untracked followed, no git refused", () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-dvcguard-" });
  try {
    git(["init", "-q", "-b", "main"], root);
    Deno.mkdirSync(`${root}/.dvc`);
    Deno.symlinkSync("/tmp", `${root}/.dvc/tmp`);
    guardDvcDirs(root, root); // the user's own link
    const noGit = assertThrows(() => guardDvcDirs(root, null), LinkedDvcDirError);
    assertEquals((noGit as LinkedDvcDirError).why, "unknown");
    git(["add", "-f", ".dvc/tmp"], root);
    const e = assertThrows(() => guardDvcDirs(root, root), LinkedDvcDirError) as LinkedDvcDirError;
    assertEquals([e.rel, e.target, e.why, e.exitCode], [".dvc/tmp", "/tmp", "tracked", 255]);
  } finally {
    removeDir(root);
  }
});

Deno.test("guardDvcDirs: a .dvc/cache link is refused only when committed (a cache elsewhere is common)", () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-dvcguard-" });
  try {
    git(["init", "-q", "-b", "main"], root);
    Deno.mkdirSync(`${root}/.dvc`);
    Deno.symlinkSync("/tmp", `${root}/.dvc/cache`);
    assertEquals(linkedDvcDirs(root), [".dvc/cache"]);
    guardDvcDirs(root, root); // the user's own link
    guardDvcDirs(root, null); // no git either: still the user's setup, followed
    git(["add", "-f", ".dvc/cache"], root);
    const e = assertThrows(() => guardDvcDirs(root, root), LinkedDvcDirError) as LinkedDvcDirError;
    assertEquals([e.rel, e.why], [".dvc/cache", "tracked"]);
    assertEquals(e.message.includes("cairn writes the project's data there"), true, e.message);
  } finally {
    removeDir(root);
  }
});
