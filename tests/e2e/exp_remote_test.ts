/**
 * e2e: `exp push|pull|list <git remote>` against a bare git repository on
 * disk and a local DVC remote: refs move as `<ref>:<ref>`, their cached data
 * through the DVC remote (`--no-cache` skips it).
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import { cairn, cairnOk, exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

const DVC_YAML = `stages:
  train:
    cmd: python3 train.py
    deps:
    - train.py
    params:
    - C
    outs:
    - model.txt
`;

const TRAIN_PY = `import re
c = re.search(r"C: *(\\S+)", open("params.yaml").read()).group(1)
open("model.txt", "w").write("model " + c)
`;

function objectsIn(dir: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else out.add(p.slice(dir.length + 1));
    }
  };
  if (exists(dir)) walk(dir);
  return out;
}

Deno.test("exp push/pull/list against a bare git remote, data through the DVC remote", () => {
  const dir = makeRepo();
  const bare = Deno.makeTempDirSync({ prefix: "cairn-bare-" });
  const store = Deno.makeTempDirSync({ prefix: "cairn-store-" });
  let clone = "";
  try {
    git(["init", "-q", "--bare", "-b", "main", bare], dir);
    writeFiles(dir, { "params.yaml": "C: 1\n", "dvc.yaml": DVC_YAML, "train.py": TRAIN_PY });
    cairnOk(["remote", "add", "-d", "store", store], { cwd: dir });
    cairnOk(["repro", "-q"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "baseline"], dir);
    git(["remote", "add", "origin", bare], dir);
    git(["push", "-q", "origin", "main"], dir);
    cairnOk(["exp", "run", "-S", "C=2", "-n", "e1"], { cwd: dir });
    cairnOk(["exp", "run", "-S", "C=3", "-n", "e2"], { cwd: dir });
    const e1 = git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/exps"], dir)
      .split("\n").find((l) => l.includes("/e1 "))!.split(" ");

    const p = cairnOk(["exp", "push", "origin", "e1"], { cwd: dir });
    assertMatch(p.stdout, /^Pushed experiment e1 to Git remote 'origin'\.\n1 file uploaded\n$/);
    assertEquals(git(["ls-remote", bare, "refs/exps/*"], dir).trim(), `${e1[1]}\t${e1[0]}`);
    assertEquals(objectsIn(store).size, 1);
    const again = cairnOk(["exp", "push", "origin", "e1"], { cwd: dir });
    assertMatch(again.stdout, /Experiment e1 is up to date on Git remote 'origin'\./);

    // --no-cache: the ref moves, the data does not
    const nc = cairnOk(["exp", "push", "--no-cache", "origin", "e2"], { cwd: dir });
    assertMatch(nc.stdout, /Pushed experiment e2/);
    assertMatch(nc.stdout, /re-run this command without '--no-cache'/);
    assertEquals(objectsIn(store).size, 1);
    const bad = cairn(["exp", "push", "origin", "nope"], { cwd: dir });
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /nope/);

    const list = cairnOk(["exp", "list", "origin"], { cwd: dir }).stdout;
    assertMatch(list, /^main:\n\t[0-9a-f]{7} \[e[12]\]\n\t[0-9a-f]{7} \[e[12]\]\n$/);

    clone = Deno.makeTempDirSync({ prefix: "cairn-clone-" });
    git(["clone", "-q", "-b", "main", bare, clone], dir);
    assertEquals(cairnOk(["exp", "list"], { cwd: clone }).stdout, "");
    const pull = cairnOk(["exp", "pull", "origin", "e1"], { cwd: clone });
    assertEquals(pull.stdout, "Pulled experiment '['e1']' from Git remote 'origin'.\n");
    assertEquals(git(["rev-parse", e1[0]], clone).trim(), e1[1]);
    // the data came with it: apply restores model.txt from the cache
    cairnOk(["exp", "apply", "e1"], { cwd: clone });
    assertEquals(Deno.readTextFileSync(join(clone, "model.txt")), "model 2");
    assertMatch(
      cairnOk(["exp", "pull", "origin", "e1"], { cwd: clone }).stdout,
      /No experiments to pull/,
    );
    // exp remove -g: gone from the remote, still here
    assertMatch(
      cairnOk(["exp", "remove", "-g", "origin", "e1"], { cwd: dir }).stdout,
      /Removed experiments: e1/,
    );
    assert(!git(["ls-remote", bare, "refs/exps/*"], dir).includes("/e1"));
    assertMatch(cairnOk(["exp", "list"], { cwd: dir }).stdout, /\[e1\]/);
    const all = cairnOk(["exp", "pull", "-A", "--no-cache", "origin"], { cwd: clone }).stdout;
    assertMatch(all, /Pulled experiment '\['e2'\]'/);
    assert(cairnOk(["exp", "list", "--name-only"], { cwd: clone }).stdout.includes("e2"));
  } finally {
    removeDir(dir);
    removeDir(bare);
    removeDir(store);
    if (clone) removeDir(clone);
  }
});

Deno.test("exp pull <name>: a name is not also read as a short sha prefix of another experiment", () => {
  // CI once pulled ['e1', 'e2'] for `exp pull origin e1`: e2's commit started with "e1".
  // Made certain here: the second experiment is named after the first one's first two hex digits.
  const dir = makeRepo();
  const bare = Deno.makeTempDirSync({ prefix: "cairn-bare-" });
  let clone = "";
  try {
    git(["init", "-q", "--bare", "-b", "main", bare], dir);
    writeFiles(dir, { "params.yaml": "C: 1\n", "dvc.yaml": DVC_YAML, "train.py": TRAIN_PY });
    cairnOk(["repro", "-q"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "baseline"], dir);
    git(["remote", "add", "origin", bare], dir);
    git(["push", "-q", "origin", "main"], dir);
    cairnOk(["exp", "run", "-S", "C=2", "-n", "first"], { cwd: dir });
    const sha = git(["for-each-ref", "--format=%(objectname)", "refs/exps"], dir).trim();
    const short = sha.slice(0, 2);
    cairnOk(["exp", "run", "-S", "C=3", "-n", short], { cwd: dir });
    cairnOk(["exp", "push", "--no-cache", "origin", "first", short], { cwd: dir });

    clone = Deno.makeTempDirSync({ prefix: "cairn-clone-" });
    git(["clone", "-q", bare, clone], dir);
    const pull = cairnOk(["exp", "pull", "--no-cache", "origin", short], { cwd: clone });
    assertEquals(
      pull.stdout.split("\n")[0],
      `Pulled experiment '['${short}']' from Git remote 'origin'.`,
    );
    // a real sha prefix still names its experiment
    const bySha = cairnOk(["exp", "pull", "--no-cache", "origin", sha.slice(0, 7)], {
      cwd: clone,
    });
    assertEquals(
      bySha.stdout.split("\n")[0],
      "Pulled experiment '['first']' from Git remote 'origin'.",
    );
  } finally {
    removeDir(dir);
    removeDir(bare);
    if (clone) removeDir(clone);
  }
});
