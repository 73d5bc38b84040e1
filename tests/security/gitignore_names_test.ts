/**
 * Issue 10 item 4: a tracked file's `.gitignore` entry must make git ignore
 * exactly that file. Checked against real git (`git check-ignore`,
 * `git status --porcelain`): special characters are escaped so the data file
 * is ignored and a look-alike sibling is not; a name git cannot express (a
 * newline: gitignore is line-based and has no escape for it) is refused
 * before anything is written.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, git, removeDir, run, writeFiles } from "../_rig/rig.ts";
import { makeArena, snapshot, snapshotDiff } from "./_paths.ts";

/** Is `name` ignored by git in `ws` (real `git check-ignore`)? */
function ignored(ws: string, name: string): boolean {
  const r = run("git", ["check-ignore", "-q", "--no-index", "--", name], { cwd: ws });
  if (r.code > 1) throw new Error(`git check-ignore failed: ${r.stderr}`);
  return r.code === 0;
}

/** Untracked paths as `git status --porcelain -z` lists them. */
function untracked(ws: string): string[] {
  const r = run("git", ["status", "--porcelain", "-z", "--untracked-files=all"], { cwd: ws });
  return r.stdout.split("\0").filter((l) => l.startsWith("?? ")).map((l) => l.slice(3));
}

Deno.test("item 4: special characters in a tracked name are escaped so git ignores exactly that file", async (t) => {
  const a = makeArena();
  try {
    // name -> a look-alike that a wrong escape would also ignore (or that the name's pattern must not hit)
    const cases: [string, string][] = [
      ["#hash", "hash"],
      ["!bang", "bang"],
      ["trail ", "trail"],
      ["two  ", "two"],
      ["st*r", "stXr"],
      ["q?m", "qXm"],
      ["br[x]", "brx"],
      ["back\\slash", "backslash"],
      ["sp ace", "spXace"],
      ["mid\rcr", "midXcr"],
      ["tab\tx", "tabXx"],
      ["star*", "starry"],
    ];
    for (const [name, decoy] of cases) {
      await t.step(JSON.stringify(name), () => {
        writeFiles(a.ws, { [name]: "data\n", [decoy]: "decoy\n" });
        cairnOk(["add", name], { cwd: a.ws });
        assert(ignored(a.ws, name), `git must ignore ${JSON.stringify(name)}`);
        assert(
          !ignored(a.ws, decoy),
          `git must not ignore the look-alike ${JSON.stringify(decoy)}`,
        );
        const left = untracked(a.ws);
        assert(!left.includes(name), `data file not untracked: ${JSON.stringify(left)}`);
        assert(left.includes(decoy), `look-alike still untracked: ${JSON.stringify(left)}`);
        // and removing the tracking takes the entry out again
        cairnOk(["remove", `${name}.dvc`], { cwd: a.ws });
        assert(!ignored(a.ws, name), "entry removed by `remove`");
        Deno.removeSync(join(a.ws, name));
        Deno.removeSync(join(a.ws, decoy));
      });
    }
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 4: an output name ending in CR (git strips it as CRLF) is ignored exactly", () => {
  // Through dvc.yaml: Deno drops a trailing CR from command-line arguments.
  const a = makeArena();
  try {
    const name = "cr\r";
    writeFiles(a.ws, {
      cr: "decoy\n",
      "dvc.yaml": `stages:\n  s:\n    cmd: printf x > "$(printf 'cr\\r')"\n` +
        `    outs:\n    - ${JSON.stringify(name)}\n`,
    });
    cairnOk(["repro"], { cwd: a.ws });
    assert(ignored(a.ws, name), "git must ignore the CR-ending name");
    assert(!ignored(a.ws, "cr"), "and not the look-alike without CR");
    const left = untracked(a.ws);
    assert(!left.includes(name) && left.includes("cr"), JSON.stringify(left));
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 4: a name with a newline is refused before anything is written (add, stage add, repro)", async (t) => {
  const a = makeArena();
  try {
    const name = "a\nb";
    await t.step("add", () => {
      writeFiles(a.ws, { [name]: "data\n" });
      const before = snapshot(a.outer);
      const r = cairn(["add", name], { cwd: a.ws });
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stderr, /newline/);
      assertMatch(r.stderr, /\.gitignore/);
      assert(r.stderr.includes(JSON.stringify(name)), `names the file: ${r.stderr}`);
      assertEquals(snapshotDiff(before, snapshot(a.outer)), "", "nothing written");
      Deno.removeSync(join(a.ws, name));
    });
    await t.step("stage add -o", () => {
      const before = snapshot(a.outer);
      const r = cairn(["stage", "add", "-n", "s", "-o", name, "echo hi"], { cwd: a.ws });
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stderr, /newline/);
      assertEquals(snapshotDiff(before, snapshot(a.outer)), "", "nothing written");
    });
    await t.step("repro of a dvc.yaml from a clone", () => {
      writeFiles(a.ws, {
        "dvc.yaml": `stages:\n  s:\n    cmd: touch ran && printf x > "$(printf 'a\\nb')"\n` +
          `    outs:\n    - ${JSON.stringify(name)}\n`,
      });
      git(["add", "dvc.yaml"], a.ws);
      git(["commit", "-qm", "newline out"], a.ws);
      const before = snapshot(a.outer);
      const r = cairn(["repro"], { cwd: a.ws });
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stderr, /newline/);
      assertMatch(r.stderr, /dvc\.yaml/);
      assertEquals(
        snapshotDiff(before, snapshot(a.outer)),
        "",
        "the command did not run, nothing written",
      );
    });
  } finally {
    removeDir(a.outer);
  }
});
