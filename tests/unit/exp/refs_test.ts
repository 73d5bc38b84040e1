import { assertEquals, assertThrows } from "../../_rig/assert.ts";
import { git, makeRepo, removeDir } from "../../_rig/rig.ts";
import { openRepo } from "../../../lib/repo/repo.ts";
import { headSha, headShaIfAny } from "../../../lib/repo/exp/refs.ts";
import { CairnError } from "../../../lib/errors.ts";

Deno.test("headShaIfAny: undefined before the first commit (headSha says why), HEAD's sha after", () => {
  const dir = makeRepo({ commit: false });
  try {
    const repo = openRepo(dir, { cwd: dir });
    assertEquals(headShaIfAny(repo), undefined);
    assertThrows(() => headSha(repo), CairnError, "the repository has no commits");
    git(["commit", "-qm", "init"], dir);
    const sha = git(["rev-parse", "HEAD"], dir).trim();
    assertEquals(headShaIfAny(repo), sha);
    assertEquals(headSha(repo), sha);
  } finally {
    removeDir(dir);
  }
});
