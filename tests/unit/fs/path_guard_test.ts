/**
 * The path guard's rules on their own (lib/fs/path_guard.ts): lexical checks
 * of workspace paths and `.dir` entries, and the symlink check on a real
 * folder tree. The CLI-level cases are in tests/security/path_containment_test.ts.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import {
  checkListingEntries,
  listingEntryProblem,
  PathGuard,
  UnsafePathError,
  workspacePathProblem,
} from "../../../lib/fs/path_guard.ts";

Deno.test("workspacePathProblem: inside is fine, escapes and internals are not", () => {
  for (
    const ok of ["a", "a/b.csv", "a/../b", "./a", "x.dvc.d/y", ".gitignore", ".github/x", "dvc"]
  ) {
    assertEquals(workspacePathProblem(ok), null, ok);
  }
  const bad: [string, RegExp][] = [
    ["../x", /outside the project/],
    ["a/../../x", /outside the project/],
    ["..", /outside the project/],
    ["/etc/passwd", /absolute/],
    ["", /project folder itself/],
    [".", /project folder itself/],
    ["a/..", /project folder itself/],
    [".git/config", /\.git/],
    ["./.git/hooks/pre-commit", /\.git/],
    ["a/../.git/config", /\.git/],
    [".GIT/config", /\.git/],
    ["sub/.Git/HEAD", /\.git/],
    [".git", /\.git/],
    [".dvc/config", /\.dvc/],
    ["sub/.dvc/cache/x", /\.dvc/],
    ["a\0b", /NUL/],
  ];
  for (const [p, why] of bad) assertMatch(workspacePathProblem(p) ?? "", why, JSON.stringify(p));
});

Deno.test("listingEntryProblem: only plain relative paths, no .git/.dvc", () => {
  for (const ok of ["a", "a/b", "x.dvc", ".gitignore", "a b/c", "back\\slash"]) {
    assertEquals(listingEntryProblem(ok), null, ok);
  }
  for (
    const bad of [
      "../x",
      "a/../../x",
      "a/../b",
      "/abs",
      "",
      "./a",
      "a//b",
      "a/",
      ".git/config",
      "s/.dvc/x",
      "a\0",
    ]
  ) {
    assert(listingEntryProblem(bad) !== null, JSON.stringify(bad));
  }
});

Deno.test("checkListingEntries names the entry index, the path and why", () => {
  const err = assertThrowsUnsafe(() =>
    checkListingEntries([{ relpath: "ok" }, { relpath: "../../x" }], {
      file: "data.dvc",
      entry: "'.dir' object abc.dir, entry",
    })
  );
  assertEquals(err.file, "data.dvc");
  assertEquals(err.path, "../../x");
  assertMatch(err.message, /entry #1 relpath '\.\.\/\.\.\/x' leads outside its output folder/);
});

function assertThrowsUnsafe(fn: () => void): UnsafePathError {
  try {
    fn();
  } catch (err) {
    assert(err instanceof UnsafePathError, String(err));
    return err;
  }
  throw new Error("did not throw");
}

Deno.test("PathGuard follows existing symlinked folders, not the last component", () => {
  const outer = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "cairn-guard-" }));
  try {
    const ws = join(outer, "ws");
    Deno.mkdirSync(join(ws, ".git"), { recursive: true });
    Deno.mkdirSync(join(ws, "real", "deep"), { recursive: true });
    Deno.symlinkSync(outer, join(ws, "out"));
    Deno.symlinkSync(".git", join(ws, "g"));
    Deno.symlinkSync("real", join(ws, "in"));
    Deno.symlinkSync("../..", join(ws, "real", "up"));
    Deno.symlinkSync(join(outer, "nowhere"), join(ws, "dangling"));
    Deno.symlinkSync(outer, join(ws, "leaf"));
    const g = new PathGuard(ws);
    const origin = { file: "x.dvc", entry: "outs[0].path" };
    assertEquals(g.resolve("in/deep/f", origin), join(ws, "in/deep/f"));
    assertEquals(
      g.resolve("leaf", origin),
      join(ws, "leaf"),
      "the last component is replaced, not followed",
    );
    assertEquals(g.resolve("new/dirs/f", origin), join(ws, "new/dirs/f"));
    for (
      const [p, why] of [
        ["out/f", /symlink that leads outside/],
        ["out/a/b/f", /symlink that leads outside/],
        ["real/up/f", /symlink that leads outside/],
        ["in/up/f", /symlink that leads outside/],
        ["dangling/f", /symlink that leads outside/],
        ["g/config", /\.git\), reached through a symlink/],
      ] as const
    ) {
      assertThrows(() => g.resolve(p, origin), (e: Error) => why.test(e.message), p);
    }
    // a listing below an output folder: symlinked sub-folders must stay inside it
    const outGuard = new PathGuard(join(ws, "real"));
    outGuard.checkListing([{ relpath: "deep/f" }], origin);
    assertThrows(() => outGuard.checkListing([{ relpath: "up/f" }], origin), UnsafePathError);
  } finally {
    Deno.removeSync(outer, { recursive: true });
  }
});
