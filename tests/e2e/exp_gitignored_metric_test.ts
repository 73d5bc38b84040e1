/**
 * e2e (issue 15 item 3): a `cache: false` metric still listed in a
 * .gitignore (as the course seed leaves it) is force-added to the
 * experiment commit, as DVC does; nothing is left half-done.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairnOk, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

Deno.test("exp run records the experiment when a cache:false metric is gitignored", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "params.yaml": "train:\n  C: 0.5\n",
      "train.py": "import json,re\n" +
        "c=float(re.search(r'C: *([0-9.e-]+)',open('params.yaml').read()).group(1))\n" +
        "json.dump({'acc': c}, open('metrics.json','w'))\n",
      "dvc.yaml": "stages:\n  train:\n    cmd: python3 train.py\n    deps:\n    - train.py\n" +
        "    params:\n    - train.C\n    metrics:\n    - metrics.json:\n        cache: false\n",
      ".gitignore": "/metrics.json\n",
    });
    cairnOk(["repro", "-q"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "baseline"], dir);
    const r = cairnOk(["exp", "run", "-S", "train.C=1.0", "-n", "ign"], { cwd: dir });
    assertMatch(r.stdout + r.stderr, /Ran experiment\(s\): ign/);
    const ref = git(["for-each-ref", "--format=%(refname)", "refs/exps"], dir).trim();
    assert(ref.endsWith("/ign"), ref);
    const files = git(["ls-tree", "--name-only", ref], dir).split("\n");
    assert(files.includes("metrics.json"), files.join(","));
    assertEquals(git(["show", `${ref}:metrics.json`], dir).trim(), '{"acc": 1.0}');
    assertEquals(git(["show", `${ref}:params.yaml`], dir), "train:\n  C: 1.0\n");
    // the user's index is untouched: metrics.json not staged
    assertEquals(git(["diff", "--cached", "--name-only"], dir).trim(), "");
  } finally {
    removeDir(dir);
  }
});
