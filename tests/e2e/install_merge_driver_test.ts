/**
 * `install`'s git merge driver with real git: `git merge` of two branches
 * that changed a tracked directory runs `cairn git-hook merge-driver`.
 * Expected texts (config values, merged `.dvc`, error messages, exit codes)
 * are what DVC 3.64 wrote and printed for the same steps in a twin repo.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import {
  CAIRN,
  cairn,
  cairnOk,
  exists,
  git,
  makeRepo,
  readText,
  removeDir,
  run,
  type RunResult,
} from "../_rig/rig.ts";

/** A repo with `cairn install` done and `cairn` on PATH for git's hooks and driver. */
function setup(): { dir: string; bin: string; sh: (cmd: string, args: string[]) => RunResult } {
  const dir = makeRepo();
  const bin = Deno.makeTempDirSync({ prefix: "cairn-bin-" });
  Deno.writeTextFileSync(join(bin, "cairn"), `#!/bin/sh\nexec '${CAIRN}' "$@"\n`);
  Deno.chmodSync(join(bin, "cairn"), 0o755);
  const env = { PATH: `${bin}:${Deno.env.get("PATH")}` };
  cairnOk(["install"], { cwd: dir });
  const sh = (cmd: string, args: string[]) => run(cmd, args, { cwd: dir, env });
  return { dir, bin, sh };
}

/** Replace a workspace file whatever the cache link type (unlink, then write). */
function put(dir: string, rel: string, text: string): void {
  try {
    Deno.removeSync(join(dir, rel));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  Deno.mkdirSync(join(dir, rel, ".."), { recursive: true });
  Deno.writeTextFileSync(join(dir, rel), text);
}

function commitData(dir: string, sh: ReturnType<typeof setup>["sh"], msg: string): void {
  cairnOk(["add", "-q", "data"], { cwd: dir });
  git(["add", "-A"], dir);
  const r = sh("git", ["commit", "-qm", msg]);
  assertEquals(r.code, 0, r.stderr);
}

Deno.test("install registers DVC's merge driver in .git/config, writes no .gitattributes", () => {
  const { dir, bin } = setup();
  try {
    assertEquals(git(["config", "merge.dvc.name"], dir), "DVC merge driver\n");
    assertEquals(
      git(["config", "merge.dvc.driver"], dir),
      "cairn git-hook merge-driver --ancestor %O --our %A --their %B \n",
    );
    assert(!exists(join(dir, ".gitattributes")));
    // as DVC: the driver is registered before the hooks are checked
    git(["config", "--unset", "merge.dvc.driver"], dir);
    assertEquals(cairn(["install"], { cwd: dir }).code, 1);
    assertMatch(git(["config", "merge.dvc.driver"], dir), /^cairn git-hook merge-driver /);
    // hidden from the command list, as DVC's git-hook
    const help = cairnOk(["--help"], { cwd: dir }).stdout;
    assert(help.includes("install") && !help.includes("git-hook"), help);
  } finally {
    removeDir(dir);
    removeDir(bin);
  }
});

Deno.test("git merge: files added on two branches are united; the result checks out", () => {
  const { dir, bin, sh } = setup();
  try {
    Deno.writeTextFileSync(join(dir, ".gitattributes"), "*.dvc merge=dvc\n");
    put(dir, "data/a", "a\n");
    commitData(dir, sh, "base");
    assertEquals(sh("git", ["checkout", "-q", "-b", "b1"]).code, 0);
    put(dir, "data/b", "b\n");
    commitData(dir, sh, "b1");
    const back = sh("git", ["checkout", "-q", "main"]);
    assertEquals(back.code, 0, back.stderr);
    assert(!exists(join(dir, "data/b"))); // post-checkout hook checked main's data out
    put(dir, "data/c", "c\n");
    commitData(dir, sh, "c");

    const merge = sh("git", ["merge", "--no-edit", "b1"]);
    assertEquals(merge.code, 0, merge.stdout + merge.stderr);
    // byte for byte what DVC 3.64's driver wrote for the same merge
    assertEquals(
      readText(dir, "data.dvc"),
      "outs:\n- md5: 5dcd2a8134332c352214d374a4941c5f.dir\n  size: 6\n  nfiles: 3\n" +
        "  hash: md5\n  path: data\n",
    );
    assertEquals(git(["status", "--porcelain"], dir), "");
    const co = sh("cairn", ["checkout"]);
    assertEquals(co.code, 0, co.stderr);
    for (const [f, text] of [["a", "a\n"], ["b", "b\n"], ["c", "c\n"]]) {
      assertEquals(readText(dir, `data/${f}`), text);
    }
    const status = sh("cairn", ["status"]);
    assertEquals(status.stdout, "Data and pipelines are up to date.\n");
  } finally {
    removeDir(dir);
    removeDir(bin);
  }
});

Deno.test("git merge: a file changed differently on both branches fails the merge as DVC's driver", () => {
  const { dir, bin, sh } = setup();
  try {
    Deno.writeTextFileSync(join(dir, ".gitattributes"), "*.dvc merge=dvc\n");
    put(dir, "data/a", "a\n");
    put(dir, "data/b", "b\n");
    commitData(dir, sh, "base");
    assertEquals(sh("git", ["checkout", "-q", "-b", "other"]).code, 0);
    put(dir, "data/a", "theirs\n");
    commitData(dir, sh, "theirs");
    assertEquals(sh("git", ["checkout", "-q", "main"]).code, 0);
    put(dir, "data/a", "ours\n");
    commitData(dir, sh, "ours");
    const ours = readText(dir, "data.dvc");

    const merge = sh("git", ["merge", "--no-edit", "other"]);
    assertEquals(merge.code, 1);
    const out = merge.stdout + merge.stderr;
    assertMatch(out, /ERROR: unable to auto-merge the following paths:\na: /);
    assertMatch(out, /CONFLICT \(content\): Merge conflict in data\.dvc/);
    assertEquals(readText(dir, "data.dvc"), ours); // git keeps our side, unmerged
    assertMatch(git(["status", "--porcelain"], dir), /^UU data\.dvc$/m);
  } finally {
    removeDir(dir);
    removeDir(bin);
  }
});

Deno.test("merge-driver: DVC's refusals, messages and exit codes", () => {
  const dir = makeRepo();
  try {
    const f = (name: string, text: string) => {
      Deno.writeTextFileSync(join(dir, name), text);
      return name;
    };
    const dirOut = (md5: string, extra = "") =>
      `outs:\n- md5: ${md5}.dir\n  size: 2\n  nfiles: 1\n  hash: md5\n  path: data\n${extra}`;
    // two real listings in the cache: {a} and {a, b}, {b} gone from one
    put(dir, "data/a", "a\n");
    cairnOk(["add", "-q", "data"], { cwd: dir });
    const one = readText(dir, "data.dvc");
    put(dir, "data/b", "b\n");
    cairnOk(["add", "-q", "data"], { cwd: dir });
    const two = readText(dir, "data.dvc");
    const driver = (anc: string, our: string, their: string) =>
      cairn(["git-hook", "merge-driver", "--ancestor", anc, "--our", our, "--their", their], {
        cwd: dir,
      });
    const expectErr = (r: RunResult, msg: string) => {
      assertEquals(r.code, 255, r.stderr);
      assertEquals(r.stderr, `ERROR: ${msg}\n`);
    };

    // both sides removed b
    f("our.dvc", one);
    expectErr(
      driver(f("anc.dvc", two), "our.dvc", f("their.dvc", one)),
      "unable to auto-merge the following paths:\nboth deleted: ('b',): " +
        "unable to auto-merge the following paths:\nboth deleted: ('b',)",
    );
    assertEquals(readText(dir, "our.dvc"), one); // nothing written
    // a file output
    const fileOut = "outs:\n- md5: 60b725f10c9c85c70d97880dfe8191b3\n  size: 2\n  hash: md5\n" +
      "  path: data\n";
    f("our.dvc", two);
    expectErr(
      driver("anc.dvc", "our.dvc", f("their.dvc", fileOut)),
      "unable to auto-merge outputs that are not directories",
    );
    expectErr(
      driver(
        "anc.dvc",
        "our.dvc",
        f("their.dvc", one.replace("path: data\n", "path: data\n  cache: false\n")),
      ),
      "unable to auto-merge outputs with different options",
    );
    expectErr(
      driver("anc.dvc", "our.dvc", f("their.dvc", one + "- path: other\n")),
      "unable to auto-merge DVC files that weren't created by `dvc add`",
    );
    assertEquals(readText(dir, "our.dvc"), two);
    // their side without outputs: ours stays; ours without: theirs is taken
    assertEquals(driver("anc.dvc", "our.dvc", f("their.dvc", "")).code, 0);
    assertEquals(readText(dir, "our.dvc"), two);
    f("our.dvc", "");
    assertEquals(driver("anc.dvc", "our.dvc", f("their.dvc", one)).code, 0);
    assertEquals(readText(dir, "our.dvc"), one);
    // comments survive, as DVC's round-trip dump keeps them
    const commented = (t: string) =>
      "# top comment\n" + t.replace("path: data\n", "path: data  # the data\n");
    f("our.dvc", commented(one));
    assertEquals(driver(f("anc.dvc", one), "our.dvc", f("their.dvc", two)).code, 0);
    assertEquals(readText(dir, "our.dvc"), commented(two));
    // a listing not in the cache: a clear error, nothing written
    f("our.dvc", two);
    const r = driver(f("anc.dvc", dirOut("0".repeat(32))), "our.dvc", f("their.dvc", one));
    assertEquals(r.code, 255);
    assertMatch(r.stderr, /listing 0{32}\.dir is not in the cache/);
    assertEquals(readText(dir, "our.dvc"), two);
    // outside a DVC repository: nothing, exit 0 (DVC's hooks are no-ops there)
    const plain = Deno.makeTempDirSync({ prefix: "cairn-plain-" });
    try {
      Deno.writeTextFileSync(join(plain, "o.dvc"), two);
      const out = cairn(
        ["git-hook", "merge-driver", "--ancestor", "o.dvc", "--our", "o.dvc", "--their", "o.dvc"],
        { cwd: plain },
      );
      assertEquals(out.code, 0, out.stderr);
    } finally {
      removeDir(plain);
    }
  } finally {
    removeDir(dir);
  }
});

Deno.test("install --use-pre-commit-tool: driver config, cairn's hooks added to .pre-commit-config.yaml once", () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(
      join(dir, ".pre-commit-config.yaml"),
      "# mine\nrepos:\n- repo: local\n  hooks: []\n",
    );
    cairnOk(["install", "--use-pre-commit-tool"], { cwd: dir });
    assertMatch(git(["config", "merge.dvc.driver"], dir), /^cairn git-hook merge-driver /);
    // as DVC with the flag: no hooks written by install itself
    for (const hook of ["post-checkout", "pre-commit", "pre-push"]) {
      assert(!exists(join(dir, ".git/hooks", hook)));
    }
    const hook = (name: string, extra = "") =>
      `  - id: cairn-${name}\n    name: cairn ${name}\n    entry: cairn git-hook ${name}\n` +
      `    language: system\n    require_serial: true\n    stages:\n    - ${name}\n${extra}`;
    const want = "# mine\nrepos:\n- repo: local\n  hooks: []\n- repo: local\n  hooks:\n" +
      hook("pre-commit") + hook("pre-push") + hook("post-checkout", "    always_run: true\n");
    assertEquals(readText(dir, ".pre-commit-config.yaml"), want);
    cairnOk(["install", "--use-pre-commit-tool"], { cwd: dir });
    assertEquals(readText(dir, ".pre-commit-config.yaml"), want);
  } finally {
    removeDir(dir);
  }
});
