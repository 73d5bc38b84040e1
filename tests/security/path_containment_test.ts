/**
 * Issue 10 item 1: paths from `.dvc`, `dvc.yaml`, `dvc.lock` and `.dir`
 * listings are untrusted. Each case plants a hostile file in a fresh
 * workspace (inside an outer folder the test owns), runs the real CLI, and
 * asserts the refusal names the file, the entry and the path, exits 1, and
 * that nothing below the outer folder changed (outside the workspace, `.git`,
 * `.dvc/config`, the cache, the workspace itself).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, exists, git, removeDir, type RunResult, writeFiles } from "../_rig/rig.ts";
import {
  type Arena,
  dirListing,
  makeArena,
  md5Hex,
  putObject,
  snapshot,
  snapshotDiff,
} from "./_paths.ts";

const PLANTED = "[core]\n\tfsmonitor = touch /tmp/cairn-pwned\n";

/** A `.dvc` file whose output is `path`, content PLANTED (already in the cache). */
function hostileDvc(path: string): string {
  return `outs:\n- md5: ${md5Hex(PLANTED)}\n  size: ${PLANTED.length}\n  hash: md5\n  path: ${
    JSON.stringify(path)
  }\n`;
}

/** Run cairn and check it refused: exit 1, the message names file/entry/path, nothing changed. */
function assertRefused(
  a: Arena,
  args: string[],
  expect: { file: string; path: string; entry?: RegExp; reason?: RegExp },
  opts: { cwd?: string } = {},
): RunResult {
  const before = snapshot(a.outer);
  const r = cairn(args, { cwd: opts.cwd ?? a.ws });
  const what = `cairn ${args.join(" ")}\n${r.stdout}\n${r.stderr}`;
  assertEquals(r.code, 1, what);
  assert(r.stderr.includes("unsafe path"), what);
  assert(r.stderr.includes(expect.file), `names the file: ${what}`);
  assert(r.stderr.includes(`'${expect.path}'`), `names the path: ${what}`);
  if (expect.entry) assertMatch(r.stderr, expect.entry, what);
  if (expect.reason) assertMatch(r.stderr, expect.reason, what);
  assertEquals(snapshotDiff(before, snapshot(a.outer)), "", `nothing may change: ${what}`);
  assert(!r.stderr.includes("    at "), `no stack trace: ${what}`);
  return r;
}

/** The arena plus: PLANTED in the cache, symlinks out_link -> outer and git_link -> .git committed. */
function arenaWithLinks(): Arena {
  const a = makeArena();
  putObject(join(a.ws, ".dvc", "cache"), PLANTED);
  Deno.symlinkSync(a.outer, join(a.ws, "out_link"));
  Deno.symlinkSync(".git", join(a.ws, "git_link"));
  git(["add", "out_link", "git_link"], a.ws);
  git(["commit", "-qm", "links"], a.ws);
  return a;
}

const WHY = {
  outside: /leads outside the project/,
  absolute: /absolute path/,
  git: /inside git's metadata \(\.git\)/,
  dvc: /inside DVC's internal folder \(\.dvc\)/,
  symlinkOut: /passes through a symlink that leads outside/,
  symlinkGit: /\.git\), reached through a symlink/,
};

Deno.test("item 1: a .dvc file's path is contained for checkout, with and without -f", async (t) => {
  const a = arenaWithLinks();
  try {
    const cases: [string, RegExp][] = [
      ["../planted.txt", WHY.outside],
      ["../victim.txt", WHY.outside],
      [join(a.outer, "planted.txt"), WHY.absolute],
      ["a/../../planted.txt", WHY.outside],
      ["out_link/planted.txt", WHY.symlinkOut],
      [".git/config", WHY.git],
      [".git/hooks/pre-commit", WHY.git],
      [".dvc/config", WHY.dvc],
      ["git_link/config", WHY.symlinkGit],
      ["git_link/hooks/pre-commit", WHY.symlinkGit],
      ["./.git/config", WHY.git],
      ["a/../.git/config", WHY.git],
      [".GIT/config", WHY.git],
      ["sub/.git/config", WHY.git],
    ];
    for (const [path, reason] of cases) {
      await t.step(path, () => {
        writeFiles(a.ws, { "p.dvc": hostileDvc(path) });
        for (const force of [[], ["-f"]]) {
          assertRefused(a, ["checkout", ...force], {
            file: "p.dvc",
            path,
            entry: /outs\[0\]\.path/,
            reason,
          });
        }
        Deno.removeSync(join(a.ws, "p.dvc"));
      });
    }
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 1: every verb that reads outputs refuses a hostile .dvc the same way", async (t) => {
  const a = arenaWithLinks();
  const remote = join(a.outer, "remote");
  Deno.mkdirSync(remote);
  cairnOk(["remote", "add", "-d", "r", remote], { cwd: a.ws });
  writeFiles(a.ws, { "good.txt": "fine\n" });
  cairnOk(["add", "good.txt"], { cwd: a.ws });
  git(["add", "-A"], a.ws);
  git(["commit", "-qm", "good"], a.ws);
  try {
    const verbs: string[][] = [
      ["status"],
      ["data", "status"],
      ["commit", "-f"],
      ["pull"],
      ["pull", "-f"],
      ["fetch"],
      ["push"],
      ["gc", "-w", "-f"],
      ["remove", "--outs", "p.dvc"],
      ["move", "good.txt", "moved.txt"],
      ["destroy", "-f"],
      ["diff"],
      ["checkout", "p.dvc"],
      ["update", "p.dvc"],
      ["repro"],
      ["exp", "run"],
      ["ls", "."],
    ];
    for (const path of ["../planted.txt", ".git/hooks/pre-commit", "out_link/planted.txt"]) {
      for (const verb of verbs) {
        await t.step(`${verb.join(" ")}: ${path}`, () => {
          writeFiles(a.ws, { "p.dvc": hostileDvc(path) });
          git(["add", "p.dvc"], a.ws);
          assertRefused(a, verb, { file: "p.dvc", path });
          git(["rm", "-q", "--cached", "p.dvc"], a.ws);
          Deno.removeSync(join(a.ws, "p.dvc"));
        });
      }
    }
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 1: dvc.yaml outputs outside the project are refused by repro, exp run, checkout", async (t) => {
  const a = arenaWithLinks();
  try {
    const abs = join(a.outer, "planted.txt");
    const cases: [string, string, RegExp][] = [
      ["../planted.txt", "", WHY.outside],
      [abs, "", WHY.absolute],
      ["a/../../planted.txt", "", WHY.outside],
      ["planted.txt", "wdir: ..\n    ", WHY.outside],
      ["out_link/planted.txt", "", WHY.symlinkOut],
      [".git/hooks/pre-commit", "", WHY.git],
      ["git_link/hooks/pre-commit", "", WHY.symlinkGit],
      [".dvc/config", "", WHY.dvc],
    ];
    for (const [path, extra, reason] of cases) {
      await t.step(`repro / exp run / status: ${extra ? "wdir .. + " : ""}${path}`, () => {
        writeFiles(a.ws, {
          "dvc.yaml": `stages:\n  s:\n    ${extra}cmd: echo planted > ${JSON.stringify(path)}\n` +
            `    outs:\n    - ${JSON.stringify(path)}\n`,
        });
        git(["add", "dvc.yaml"], a.ws);
        git(["commit", "-qm", "hostile"], a.ws);
        for (const args of [["repro"], ["repro", "-f"], ["exp", "run"], ["status"]]) {
          assertRefused(a, args, {
            file: "dvc.yaml",
            path,
            entry: /stage 's' outs\[0\]/,
            reason,
          });
        }
        assert(!exists(join(a.outer, ".gitignore")), "../.gitignore never written");
        git(["rm", "-q", "dvc.yaml"], a.ws);
        git(["commit", "-qm", "clean"], a.ws);
      });
    }
    await t.step("checkout of a dvc.yaml + dvc.lock pair pointing outside", () => {
      const md5 = md5Hex(PLANTED);
      writeFiles(a.ws, {
        "dvc.yaml": "stages:\n  s:\n    cmd: echo\n    outs:\n    - ../planted.txt\n",
        "dvc.lock": `schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    outs:\n` +
          `    - path: ../planted.txt\n      hash: md5\n      md5: ${md5}\n      size: ${PLANTED.length}\n`,
      });
      for (const args of [["checkout"], ["checkout", "-f"], ["commit", "-f"]]) {
        assertRefused(a, args, { file: "dvc.yaml", path: "../planted.txt" });
      }
      Deno.removeSync(join(a.ws, "dvc.yaml"));
      Deno.removeSync(join(a.ws, "dvc.lock"));
    });
    await t.step("stage add -o ../x is refused before dvc.yaml is written", () => {
      assertRefused(a, ["stage", "add", "-n", "t", "-o", "../planted.txt", "echo hi"], {
        file: "dvc.yaml",
        path: "../planted.txt",
        reason: WHY.outside,
      });
      assert(!exists(join(a.ws, "dvc.yaml")));
    });
  } finally {
    removeDir(a.outer);
  }
});

/** A `.dir` object listing `ok.txt` and `bad`, in `root` (cache or remote); returns its md5. */
function hostileDir(root: string, bad: string): string {
  putObject(root, PLANTED);
  const listing = dirListing([
    { md5: md5Hex(PLANTED), relpath: "ok.txt" },
    { md5: md5Hex(PLANTED), relpath: bad },
  ].sort((x, y) => (x.relpath < y.relpath ? -1 : 1)));
  return putObject(root, listing, ".dir");
}

function dirDvc(md5: string): string {
  return `outs:\n- md5: ${md5}\n  size: ${
    2 * PLANTED.length
  }\n  nfiles: 2\n  hash: md5\n  path: data\n`;
}

Deno.test("item 1: .dir entries stay inside their output folder (checkout, -f, nested)", async (t) => {
  const a = arenaWithLinks();
  try {
    const cases: [string, RegExp][] = [
      ["../../planted.txt", /leads outside its output folder/],
      ["sub/../../../planted.txt", /leads outside its output folder/],
      ["sub/deeper/../../../../planted.txt", /leads outside its output folder/],
      [join(a.outer, "planted.txt"), /absolute path/],
      [".git/config", WHY.git],
      ["sub/.git/hooks/pre-commit", WHY.git],
      ["../.git/config", /leads outside its output folder/],
      ["./ok2.txt", /not a plain relative path/],
    ];
    for (const [bad, reason] of cases) {
      await t.step(bad, () => {
        const md5 = hostileDir(join(a.ws, ".dvc", "cache"), bad);
        writeFiles(a.ws, { "data.dvc": dirDvc(md5) });
        for (const force of [[], ["-f"]]) {
          const r = assertRefused(a, ["checkout", ...force], {
            file: "data.dvc",
            path: bad,
            reason,
          });
          assertMatch(r.stderr, new RegExp(md5.replace(".", "\\.")), "names the .dir object");
        }
        assert(!exists(join(a.ws, "data")), "not even the safe entries are written");
        Deno.removeSync(join(a.ws, "data.dvc"));
      });
    }
    await t.step("a symlinked folder inside the output that leads out", () => {
      Deno.mkdirSync(join(a.ws, "data", "sub"), { recursive: true });
      Deno.symlinkSync(a.outer, join(a.ws, "data", "sub", "link"));
      const md5 = hostileDir(join(a.ws, ".dvc", "cache"), "sub/link/planted.txt");
      writeFiles(a.ws, { "data.dvc": dirDvc(md5) });
      for (const force of [[], ["-f"]]) {
        assertRefused(a, ["checkout", ...force], {
          file: "data.dvc",
          path: "sub/link/planted.txt",
          reason: /symlink that leads outside/,
        });
      }
      Deno.removeSync(join(a.ws, "data.dvc"));
      Deno.removeSync(join(a.ws, "data"), { recursive: true });
    });
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 1: a hostile remote serving a .dir with ../../x is refused on pull and fetch", async (t) => {
  const a = makeArena();
  const remote = join(a.outer, "remote");
  try {
    cairnOk(["remote", "add", "-d", "r", remote], { cwd: a.ws });
    for (const bad of ["../../planted.txt", ".git/hooks/pre-commit", "x/../../../planted.txt"]) {
      await t.step(bad, () => {
        const md5 = hostileDir(remote, bad);
        writeFiles(a.ws, { "data.dvc": dirDvc(md5) });
        git(["add", "-A"], a.ws);
        git(["commit", "-qm", "hostile data"], a.ws);
        for (const args of [["pull"], ["pull", "-f"], ["fetch"]]) {
          assertRefused(a, args, { file: "data.dvc", path: bad });
        }
        assert(!exists(join(a.outer, "planted.txt")));
        assert(!exists(join(a.ws, "data")));
        git(["rm", "-q", "data.dvc"], a.ws);
        git(["commit", "-qm", "clean"], a.ws);
      });
    }
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 1: import, update and get refuse a source whose .dir listing leads out", async (t) => {
  const a = makeArena();
  const src = join(a.outer, "src");
  try {
    Deno.mkdirSync(src);
    git(["init", "-q", "-b", "main"], src);
    cairnOk(["init", "-q"], { cwd: src });
    writeFiles(src, { "data/ok.txt": PLANTED });
    cairnOk(["add", "data"], { cwd: src });
    git(["add", "-A"], src);
    git(["commit", "-qm", "data"], src);
    await t.step("update after the source turned hostile", () => {
      cairnOk(["import", src, "data"], { cwd: a.ws });
      git(["add", "-A"], a.ws);
      git(["commit", "-qm", "import"], a.ws);
      const md5 = hostileDir(join(src, ".dvc", "cache"), "../../planted.txt");
      writeFiles(src, { "data.dvc": dirDvc(md5) });
      git(["commit", "-qam", "hostile"], src);
      assertRefused(a, ["update", "data.dvc"], { file: "data.dvc", path: "../../planted.txt" });
    });
    await t.step("import of the hostile source", () => {
      assertRefused(a, ["import", src, "data", "-o", "data2"], {
        file: "data.dvc",
        path: "../../planted.txt",
      });
      assert(!exists(join(a.ws, "data2.dvc")));
    });
    await t.step("get of the hostile source", () => {
      assertRefused(a, ["get", src, "data", "-o", join(a.outer, "got")], {
        file: "data.dvc",
        path: "../../planted.txt",
      });
      assert(!exists(join(a.outer, "got")));
    });
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 1: add, import-url and move refuse a target behind a symlinked folder that leads out", async (t) => {
  const a = arenaWithLinks();
  try {
    writeFiles(a.outer, { "theirs.txt": "outside\n" });
    writeFiles(a.ws, { "good.txt": "fine\n" });
    cairnOk(["add", "good.txt"], { cwd: a.ws });
    const cases: [string, string[]][] = [
      ["add", ["add", "out_link/theirs.txt"]],
      ["add -o", ["add", "good.txt", "-o", "out_link/copy.txt"]],
      ["import-url", ["import-url", join(a.outer, "theirs.txt"), "out_link/imp.txt"]],
      ["move", ["move", "good.txt", "out_link/moved.txt"]],
    ];
    for (const [what, args] of cases) {
      await t.step(what, () => {
        const before = snapshot(a.outer);
        const r = cairn(args, { cwd: a.ws });
        assertEquals(r.code, 1, r.stderr);
        assertMatch(r.stderr, /symlink that leads outside/);
        assertEquals(snapshotDiff(before, snapshot(a.outer)), "", "nothing written");
      });
    }
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 1: legitimate paths keep working (external deps, uncached external out, import-url, cache.dir elsewhere, symlink inside)", () => {
  const a = makeArena();
  try {
    const ext = join(a.outer, "ext.txt");
    writeFiles(a.outer, { "ext.txt": "external input\n", "srcdir/f.txt": "f\n" });
    cairnOk(["config", "cache.dir", join(a.outer, "cache")], { cwd: a.ws });
    Deno.mkdirSync(join(a.ws, "real"));
    Deno.symlinkSync("real", join(a.ws, "inside_link"));
    writeFiles(a.ws, {
      "dvc.yaml":
        `stages:\n  s:\n    cmd: cat ${ext} > inside_link/out.txt && echo m > ../ext_out.txt\n` +
        `    deps:\n    - ${ext}\n    outs:\n    - inside_link/out.txt\n` +
        `    - ../ext_out.txt:\n        cache: false\n`,
    });
    cairnOk(["repro"], { cwd: a.ws });
    assertEquals(Deno.readTextFileSync(join(a.ws, "real", "out.txt")), "external input\n");
    assert(
      !exists(join(a.outer, ".gitignore")),
      "no .gitignore outside for the uncached external out",
    );
    cairnOk(["import-url", join(a.outer, "srcdir"), "imported"], { cwd: a.ws });
    assertEquals(Deno.readTextFileSync(join(a.ws, "imported", "f.txt")), "f\n");
    Deno.removeSync(join(a.ws, "real", "out.txt"));
    cairnOk(["checkout"], { cwd: a.ws });
    assertEquals(Deno.readTextFileSync(join(a.ws, "real", "out.txt")), "external input\n");
    cairnOk(["status"], { cwd: a.ws });
  } finally {
    removeDir(a.outer);
  }
});
