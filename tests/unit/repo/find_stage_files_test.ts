/**
 * findStageFiles walks the work tree applying git's ignore rules in process
 * (issue 16: no `git ls-files` spawn per command). Its answer is compared
 * with `git ls-files -c -o --exclude-standard` on the same tree, in a real
 * git repo: ignored folders and files, `!` re-includes, nested .gitignore
 * files, info/exclude, .dvcignore, a symlinked .dvc file; and a nested
 * repository, where git is asked.
 */
import { assertEquals } from "../../_rig/assert.ts";
import { git } from "../../_rig/rig.ts";
import { findStageFiles, walkOrder } from "../../../lib/repo/collect.ts";
import { withRepo } from "./_repo.ts";

const STAGE = "stages:\n  s:\n    cmd: echo\n";

function gitAnswer(dir: string): string[] {
  return git(["ls-files", "-z", "-c", "-o", "--exclude-standard"], dir)
    .split("\0")
    .filter((p) =>
      p && (p.endsWith("/dvc.yaml") || p === "dvc.yaml" || /(^|\/)[^/]+\.dvc$/.test(p))
    )
    .filter((p) => !p.startsWith("skipped/"))
    .sort(walkOrder);
}

Deno.test("findStageFiles: the same stage files as git ls-files, ignores applied in process", async () => {
  await withRepo((t) => {
    t.write({
      ".gitignore": "/ignored/\n*.tmp.dvc\nkeep*/\n!keepme/\n",
      "dvc.yaml": STAGE,
      "a/dvc.yaml": STAGE,
      "a/x.dvc": "outs: []\n",
      "a/y.tmp.dvc": "outs: []\n",
      "a/.gitignore": "sub/\n!z.tmp.dvc\n",
      "a/z.tmp.dvc": "outs: []\n",
      "a/sub/dvc.yaml": STAGE,
      "a/b/c/dvc.yaml": STAGE,
      "ignored/dvc.yaml": STAGE,
      "keepout/dvc.yaml": STAGE,
      "keepme/dvc.yaml": STAGE,
      "excl/dvc.yaml": STAGE,
      "skipped/dvc.yaml": STAGE,
      ".dvcignore": "skipped/\n",
    });
    Deno.writeTextFileSync(`${t.dir}/.git/info/exclude`, "excl/\n");
    Deno.symlinkSync("a/x.dvc", `${t.dir}/link.dvc`);
    const found = findStageFiles(t.open());
    assertEquals(found, gitAnswer(t.dir));
    assertEquals(found, [
      "dvc.yaml",
      "link.dvc",
      "a/dvc.yaml",
      "a/x.dvc",
      "a/z.tmp.dvc",
      "a/b/c/dvc.yaml",
      "keepme/dvc.yaml",
    ]);
  });
});

Deno.test("findStageFiles: inside a nested repository git is asked (it lists the repo, not its files)", async () => {
  await withRepo((t) => {
    t.write({ "dvc.yaml": STAGE, "inner/dvc.yaml": STAGE });
    git(["init", "-q"], `${t.dir}/inner`);
    const found = findStageFiles(t.open());
    assertEquals(found, gitAnswer(t.dir));
    assertEquals(found, ["dvc.yaml"]);
  });
});
