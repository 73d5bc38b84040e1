/**
 * lib/scm/git_ignored.ts against real git: for a work tree with nested
 * .gitignore files (negations, folders excluded above them, dir-only and
 * anchored lines, CRLF and a BOM), .git/info/exclude and core.excludesFile
 * (git's default location and a configured one), the in-process verdict
 * for every path equals `git check-ignore --no-index`; where it cannot
 * decide it says so and ignoredByGit asks git.
 */
import { assert, assertEquals } from "../../_rig/assert.ts";
import { gitIgnoreVerdict, ignoredByGit } from "../../../lib/scm/git_ignored.ts";
import { gitIgnored } from "../../../lib/scm/git.ts";

const FILES = [
  "x.txt",
  "a.log",
  "keep.log",
  "#hash",
  "foo1.txt",
  "fooA.txt",
  "trailing",
  "secret-1",
  "secret-ok",
  "notes.swp",
  "build/x.o",
  "build/sub/y.txt",
  "logs/today.txt",
  "deep/logs/old.txt",
  "data/raw.csv",
  "data/keep/k.csv",
  "data/keep/sub/k2.csv",
  "out/s0.txt",
  "out/s1.txt",
  "out/tmp/t.txt",
  "out/a/tmp",
  "out/a/tmp2",
  "a/important.log",
  "a/other.log",
  "a/f.tmp",
  "a/b/inner.txt",
  "a/c/z.bin",
  "a/c/y.bin",
  "a/c/y.txt",
  "p/q/file",
  "p/r/file",
  "global-only/g.txt",
  "sub/global-only/g.txt",
  "conf-only.cfg",
];
const DIRS = ["build", "build/sub", "logs", "data", "data/keep", "out", "a", "a/b", "a/c", "p/q"];
/** Paths that do not exist (outputs before their stage ran). */
const MISSING = ["out/s9.txt", "out/new/", "a/new.log", "zzz", "build/later.txt"];

function gitSync(args: string[], cwd: string): { code: number; stdout: string } {
  const o = new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  return { code: o.code, stdout: new TextDecoder().decode(o.stdout) };
}

/** git's answer for each path (relative to root). */
function gitAnswers(root: string, rels: string[]): Map<string, boolean> {
  const r = gitSync(["check-ignore", "--no-index", "--", ...rels], root);
  assert(r.code === 0 || r.code === 1, `git check-ignore exited ${r.code}`);
  const ignored = new Set(r.stdout.split("\n").filter(Boolean));
  return new Map(rels.map((p) => [p, ignored.has(p)]));
}

function write(root: string, rel: string, text = "x\n"): void {
  const abs = `${root}/${rel}`;
  Deno.mkdirSync(abs.slice(0, abs.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(abs, text);
}

/** HOME / XDG_CONFIG_HOME pointed at `home` for git and for the code under test. */
function withHome<T>(home: string, fn: () => T): T {
  const saved = ["HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM"].map((k) =>
    [k, Deno.env.get(k)] as const
  );
  Deno.env.set("HOME", home);
  Deno.env.delete("XDG_CONFIG_HOME");
  Deno.env.set("GIT_CONFIG_NOSYSTEM", "1");
  try {
    return fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

function setup(): { root: string; home: string; rels: string[] } {
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-git-ignored-" });
  const root = `${tmp}/repo`;
  const home = `${tmp}/home`;
  Deno.mkdirSync(root, { recursive: true });
  Deno.mkdirSync(`${home}/.config/git`, { recursive: true });
  gitSync(["init", "-q", root], tmp);
  for (const f of FILES) write(root, f);
  for (const d of DIRS) Deno.mkdirSync(`${root}/${d}`, { recursive: true });
  write(
    root,
    ".gitignore",
    [
      "# comment",
      "*.log",
      "!keep.log",
      "/build/",
      "logs/",
      "data/*",
      "!data/keep/",
      "out/**/tmp",
      "\\#hash",
      "foo[0-9].txt",
      "trailing   ",
      "/p/q/",
      "/s0.txt",
      "",
    ].join("\n"),
  );
  write(root, "a/.gitignore", "!important.log\nb/\n*.tmp\n");
  write(root, "a/c/.gitignore", "\uFEFF*.bin\r\n!z.bin\r\n");
  write(root, "p/.gitignore", "!q/\n");
  write(root, "out/.gitignore", "/s1.txt\n!/tmp\n");
  write(root, ".git/info/exclude", "secret*\n!secret-ok\n");
  write(home, ".config/git/ignore", "*.swp\nglobal-only/\n");
  const rels = [...FILES, ...DIRS, ...MISSING.map((m) => m.replace(/\/$/, ""))];
  return { root, home, rels };
}

function compare(root: string, rels: string[], label: string): number {
  const want = gitAnswers(root, rels);
  let decided = 0;
  for (const rel of rels) {
    const v = gitIgnoreVerdict(`${root}/${rel}`, root);
    if (v !== undefined) {
      decided++;
      assertEquals(v, want.get(rel), `${label}: ${rel}`);
    }
    assertEquals(
      ignoredByGit(`${root}/${rel}`, root),
      want.get(rel),
      `${label}: ${rel} (with git)`,
    );
  }
  return decided;
}

Deno.test("git ignored: in-process verdicts equal git check-ignore --no-index", () => {
  const { root, home, rels } = setup();
  try {
    withHome(home, () => {
      const decided = compare(root, rels, "default excludes file");
      assertEquals(decided, rels.length, "every path decided without git");
      // some of each kind, so the comparison cannot pass trivially
      const want = gitAnswers(root, rels);
      assert([...want.values()].filter(Boolean).length >= 15);
      assert([...want.values()].filter((v) => !v).length >= 10);

      // a configured core.excludesFile replaces the default one (git is asked for its path once)
      write(root, "my-excludes", "conf-only.cfg\n");
      gitSync(["config", "core.excludesFile", "my-excludes"], root);
      assertEquals(compare(root, rels, "core.excludesFile"), rels.length);
      assertEquals(gitIgnoreVerdict(`${root}/conf-only.cfg`, root), true);
      assertEquals(gitIgnoreVerdict(`${root}/notes.swp`, root), false);

      // edits are seen at once (files are cached by content)
      write(root, "out/.gitignore", "/s1.txt\n/s9.txt\n");
      assertEquals(compare(root, rels, "edited .gitignore"), rels.length);
      assertEquals(gitIgnoreVerdict(`${root}/out/s9.txt`, root), true);
    });
  } finally {
    Deno.removeSync(root.slice(0, root.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("git ignored: what the matcher does not model is left to git", () => {
  const { root, home, rels } = setup();
  try {
    withHome(home, () => {
      // a symlinked .gitignore (git >= 2.32 does not follow it)
      Deno.renameSync(`${root}/a/.gitignore`, `${root}/a/real-ignore`);
      Deno.symlinkSync("real-ignore", `${root}/a/.gitignore`);
      assertEquals(gitIgnoreVerdict(`${root}/a/other.log`, root), undefined);
      compare(root, rels, "symlinked .gitignore");
      Deno.removeSync(`${root}/a/.gitignore`);
      Deno.renameSync(`${root}/a/real-ignore`, `${root}/a/.gitignore`);
      // case-insensitive matching
      gitSync(["config", "core.ignoreCase", "true"], root);
      assertEquals(gitIgnoreVerdict(`${root}/a.log`, root), undefined);
      compare(root, rels, "core.ignoreCase");
      gitSync(["config", "--unset", "core.ignoreCase"], root);
      // a path outside the work tree, a path below a symlink
      assertEquals(gitIgnoreVerdict("/etc/passwd", root), undefined);
      Deno.symlinkSync(`${root}/out`, `${root}/link`);
      assertEquals(gitIgnoreVerdict(`${root}/link/s1.txt`, root), undefined);
      // git refuses the path ("beyond a symbolic link"): not reported as ignored
      assertEquals(gitSync(["check-ignore", "--no-index", "link/s1.txt"], root).code, 128);
      assertEquals(ignoredByGit(`${root}/link/s1.txt`, root), false);
      // a nested repository
      gitSync(["init", "-q", "nested"], root);
      write(root, "nested/n.log");
      assertEquals(gitIgnoreVerdict(`${root}/nested/n.log`, root), undefined);
      // back to normal: decided again
      assertEquals(gitIgnoreVerdict(`${root}/a.log`, root), true);
    });
  } finally {
    Deno.removeSync(root.slice(0, root.lastIndexOf("/")), { recursive: true });
  }
});

Deno.test("gitIgnored (git itself): the ignored ones among several paths, odd names too", () => {
  const { root, home } = setup();
  try {
    withHome(home, () => {
      const odd = 'q"\tü.log';
      write(root, odd);
      const got = gitIgnored(["a.log", "x.txt", odd, `${root}/build/x.o`, "a/important.log"], root);
      assertEquals([...got].sort(), [`${root}/build/x.o`, "a.log", odd].sort());
    });
  } finally {
    Deno.removeSync(root.slice(0, root.lastIndexOf("/")), { recursive: true });
  }
});
