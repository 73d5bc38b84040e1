/**
 * A cloned repository that commits `.dvc`, `.dvc/tmp` or an entry of
 * `.dvc/tmp` as a symlink: cairn would take its lock, open its state index
 * and stage files through it, outside the workspace (the lock file is even
 * truncated in place). Every command refuses such a repo with exit 255 and a
 * message naming the link, and nothing appears at (or changes in) the link's
 * target. A link the user made (not tracked by git) is followed, as a
 * `.dvc/cache` elsewhere is. Real `git clone` of a real repository.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

/** Everything below `dir` (relative paths), to show nothing was created there. */
function listTree(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(`${dir}/${prefix}`)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory) out.push(...listTree(dir, rel));
  }
  return out.sort();
}

/**
 * A repo with a data file and a one-stage pipeline whose `.dvc/tmp`-side link
 * is made by `plant(repo)` and committed, then cloned; returns the clone.
 */
function hostileClone(base: string, plant: (repo: string) => void): string {
  const origin = `${base}/origin`;
  Deno.mkdirSync(origin);
  git(["init", "-q", "-b", "main"], origin);
  cairnOk(["init", "-q"], { cwd: origin });
  writeFiles(origin, {
    "data.txt": "data\n",
    "dvc.yaml": "stages:\n  copy:\n    cmd: cp data.txt out.txt\n    deps:\n    - data.txt\n" +
      "    outs:\n    - out.txt\n",
  });
  plant(origin);
  // .dvc/.gitignore ignores /tmp: a hostile repo force-adds its link
  git(["add", "-f", "-A", "."], origin);
  git(["commit", "-qm", "hostile"], origin);
  git(["clone", "-q", origin, `${base}/clone`], base);
  return `${base}/clone`;
}

const VERBS: string[][] = [
  ["status"],
  ["add", "data.txt"],
  ["repro"],
  ["checkout"],
  ["commit", "-f"],
  ["data", "status"],
  ["gc", "-w", "-f"],
];

function assertRefused(clone: string, rel: string, args: string[]): void {
  const r = cairn(args, { cwd: clone });
  assertEquals(r.code, 255, `cairn ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  assertMatch(
    r.stderr,
    new RegExp(`'${rel.replaceAll(".", "\\.")}' in '[^']*' is a symbolic link`),
  );
  assertMatch(r.stderr, /committed to git/);
  assertMatch(r.stderr, /nothing was written/);
}

Deno.test("a committed .dvc/tmp -> outside: every verb refuses, nothing appears outside", () => {
  const base = Deno.makeTempDirSync({ prefix: "cairn-dvclink-" });
  try {
    const outside = `${base}/outside`;
    Deno.mkdirSync(outside);
    const clone = hostileClone(base, (repo) => {
      Deno.removeSync(`${repo}/.dvc/tmp`, { recursive: true });
      Deno.symlinkSync(outside, `${repo}/.dvc/tmp`);
    });
    assert(Deno.lstatSync(`${clone}/.dvc/tmp`).isSymlink, "git clone made the link");
    for (const args of VERBS) assertRefused(clone, ".dvc/tmp", args);
    assertEquals(listTree(outside), [], "no lock, state index or stage cache outside");
    // nothing in the workspace either: the refusal comes before any verb works
    assertEquals(Deno.readTextFileSync(`${clone}/data.txt`), "data\n");
    for (const p of ["data.txt.dvc", "out.txt", "dvc.lock", ".dvc/cache"]) {
      let found = true;
      try {
        Deno.lstatSync(`${clone}/${p}`);
      } catch {
        found = false;
      }
      assert(!found, `${p} was written`);
    }
  } finally {
    removeDir(base);
  }
});

Deno.test("a committed .dvc/tmp/lock -> a file outside: refused, the file keeps its bytes", () => {
  const base = Deno.makeTempDirSync({ prefix: "cairn-dvclink-" });
  try {
    const victim = `${base}/victim.txt`;
    Deno.writeTextFileSync(victim, "precious\n");
    const clone = hostileClone(base, (repo) => {
      Deno.mkdirSync(`${repo}/.dvc/tmp`, { recursive: true });
      for (const e of Deno.readDirSync(`${repo}/.dvc/tmp`)) {
        Deno.removeSync(`${repo}/.dvc/tmp/${e.name}`, { recursive: true });
      }
      Deno.symlinkSync("../../../victim.txt", `${repo}/.dvc/tmp/lock`);
    });
    assert(Deno.lstatSync(`${clone}/.dvc/tmp/lock`).isSymlink);
    for (const args of [["add", "data.txt"], ["repro"], ["status"]]) {
      assertRefused(clone, ".dvc/tmp/lock", args);
    }
    // the lock would have been truncated to " <pid>\n" through the link
    assertEquals(Deno.readTextFileSync(victim), "precious\n");
    assertEquals(listTree(base).filter((p) => !p.startsWith("origin") && !p.startsWith("clone")), [
      "victim.txt",
    ]);
  } finally {
    removeDir(base);
  }
});

Deno.test("a committed .dvc/tmp/exps/cairn-worker.log -> a file outside: queue start refused, the file keeps its bytes", () => {
  const base = Deno.makeTempDirSync({ prefix: "cairn-dvclink-" });
  try {
    const victim = `${base}/victim.txt`;
    Deno.writeTextFileSync(victim, "precious\n");
    const clone = hostileClone(base, (repo) => {
      Deno.mkdirSync(`${repo}/.dvc/tmp/exps`, { recursive: true });
      // the queue worker appends its stderr to this log
      Deno.symlinkSync("../../../../victim.txt", `${repo}/.dvc/tmp/exps/cairn-worker.log`);
    });
    assert(Deno.lstatSync(`${clone}/.dvc/tmp/exps/cairn-worker.log`).isSymlink);
    for (const args of [["queue", "start"], ["exp", "run", "--queue"], ["status"]]) {
      assertRefused(clone, ".dvc/tmp/exps/cairn-worker.log", args);
    }
    assertEquals(Deno.readTextFileSync(victim), "precious\n");
  } finally {
    removeDir(base);
  }
});

Deno.test("a committed .dvc/cache -> a folder outside: add, checkout and repro refused, nothing written there", () => {
  const base = Deno.makeTempDirSync({ prefix: "cairn-dvclink-" });
  try {
    Deno.mkdirSync(`${base}/outside`);
    const clone = hostileClone(base, (repo) => {
      Deno.symlinkSync("../../outside", `${repo}/.dvc/cache`);
    });
    assert(Deno.lstatSync(`${clone}/.dvc/cache`).isSymlink);
    for (const args of [["add", "data.txt"], ["checkout"], ["repro"]]) {
      assertRefused(clone, ".dvc/cache", args);
    }
    assertEquals(listTree(`${base}/outside`), []);
  } finally {
    removeDir(base);
  }
});

Deno.test("a committed .dvc/tmp/cairn-state.db -> outside: refused, no database appears there", () => {
  const base = Deno.makeTempDirSync({ prefix: "cairn-dvclink-" });
  try {
    const outside = `${base}/outside`;
    Deno.mkdirSync(outside);
    const clone = hostileClone(base, (repo) => {
      Deno.mkdirSync(`${repo}/.dvc/tmp`, { recursive: true });
      Deno.symlinkSync(`${outside}/state.db`, `${repo}/.dvc/tmp/cairn-state.db`);
    });
    assertRefused(clone, ".dvc/tmp/cairn-state.db", ["status"]);
    assertRefused(clone, ".dvc/tmp/cairn-state.db", ["add", "data.txt"]);
    assertEquals(listTree(outside), []);
  } finally {
    removeDir(base);
  }
});

Deno.test("a committed .dvc -> a folder outside: refused, nothing written there", () => {
  const base = Deno.makeTempDirSync({ prefix: "cairn-dvclink-" });
  try {
    const outside = `${base}/outside`;
    Deno.mkdirSync(`${outside}`);
    Deno.writeTextFileSync(`${outside}/config`, "");
    const clone = hostileClone(base, (repo) => {
      Deno.removeSync(`${repo}/.dvc`, { recursive: true });
      Deno.symlinkSync(outside, `${repo}/.dvc`);
    });
    for (const args of [["status"], ["add", "data.txt"], ["repro"]]) {
      assertRefused(clone, ".dvc", args);
    }
    assertEquals(listTree(outside), ["config"]);
  } finally {
    removeDir(base);
  }
});

Deno.test("a .dvc/tmp link the user made (not tracked by git) is followed", () => {
  const repo = makeRepo();
  const outside = Deno.makeTempDirSync({ prefix: "cairn-dvclink-own-" });
  try {
    Deno.removeSync(`${repo}/.dvc/tmp`, { recursive: true });
    Deno.symlinkSync(outside, `${repo}/.dvc/tmp`);
    writeFiles(repo, { "data.txt": "data\n" });
    cairnOk(["add", "data.txt"], { cwd: repo });
    cairnOk(["status"], { cwd: repo });
    // the lock (and the state index) went where the user pointed .dvc/tmp
    assert(listTree(outside).includes("lock"), `outside: ${listTree(outside)}`);
  } finally {
    removeDir(repo);
    removeDir(outside);
  }
});

Deno.test("without git a symlinked .dvc/tmp is refused (nothing can vouch for it)", () => {
  const repo = makeRepo({ git: false });
  const outside = Deno.makeTempDirSync({ prefix: "cairn-dvclink-noscm-" });
  try {
    Deno.removeSync(`${repo}/.dvc/tmp`, { recursive: true });
    Deno.symlinkSync(outside, `${repo}/.dvc/tmp`);
    const r = cairn(["status"], { cwd: repo });
    assertEquals(r.code, 255, r.stderr);
    assertMatch(r.stderr, /'\.dvc\/tmp' in '[^']*' is a symbolic link/);
    assertMatch(r.stderr, /git cannot vouch for/);
    assertEquals(listTree(outside), []);
  } finally {
    removeDir(repo);
    removeDir(outside);
  }
});

Deno.test("the real CLI refuses too (subprocess): exit 255, the link named", () => {
  const base = Deno.makeTempDirSync({ prefix: "cairn-dvclink-" });
  try {
    const outside = `${base}/outside`;
    Deno.mkdirSync(outside);
    const clone = hostileClone(base, (repo) => {
      Deno.removeSync(`${repo}/.dvc/tmp`, { recursive: true });
      Deno.symlinkSync(outside, `${repo}/.dvc/tmp`);
    });
    const r = cairn(["repro"], { cwd: clone, subprocess: true });
    assertEquals(r.code, 255, r.stderr);
    assertMatch(r.stderr, /^ERROR: '\.dvc\/tmp' in /m);
    assertEquals(listTree(outside), []);
  } finally {
    removeDir(base);
  }
});
