/**
 * The gitignore matcher against real git: for each pattern set, a work tree
 * with the corpus' files and directories, and `git check-ignore -v -n` as
 * the answer for every path (files and directories, inside excluded
 * directories too).
 */
import { assertEquals } from "../../_rig/assert.ts";
import { GitIgnore } from "../../../lib/fs/gitignore.ts";

/** Directories end with `/`. */
const PATHS = [
  "a.log",
  "important.log",
  "src/",
  "src/b.log",
  "src/main.ts",
  "src/build/",
  "src/build/y.o",
  "build/",
  "build/keep.txt",
  "build/x.o",
  "build/sub/",
  "build/sub/z.txt",
  "docs/",
  "docs/a.md",
  "docs/deep/",
  "docs/deep/b.md",
  "docs/deep/er/",
  "docs/deep/er/c.md",
  "foo",
  "bar/",
  "bar/foo/",
  "bar/foo/f",
  "#hash",
  "!bang",
  "sp ace ",
  "sp ace",
  "file[1]",
  "file1",
  "file2",
  "fileA",
  "filea",
  "x.TXT",
  "x.txt",
  "a/",
  "a/b/",
  "a/b/c/",
  "a/b/c/d.txt",
  "a/x/",
  "a/x/b/",
  "a/x/b/e.txt",
  "q?",
  "qq",
  "star*",
  "data.csv",
  "data/",
  "data/raw.csv",
  "data/out/",
  "data/out/r.csv",
];

const CASES: string[][] = [
  ["*.log", "!important.log"],
  ["build/", "!build/keep.txt"],
  ["build", "!build/keep.txt"],
  ["build/*", "!build/keep.txt"],
  ["/build/"],
  ["**/build"],
  ["src/**"],
  ["docs/**/*.md"],
  ["docs/**", "!docs/deep/", "docs/deep/*"],
  ["a/**/d.txt"],
  ["a/**/b"],
  ["**/b/"],
  ["/foo", "bar/foo"],
  ["foo/"],
  ["\\#hash", "\\!bang"],
  ["#hash", "!bang"],
  ["sp ace\\ "],
  ["sp ace   "],
  ["file[12]"],
  ["file[!1]"],
  ["file[^A]", "!filea"],
  ["file[a-z]"],
  ["file[[:digit:]]"],
  ["file[[:upper:]]"],
  ["file\\[1\\]"],
  ["file["],
  ["*.txt"],
  ["*.TXT"],
  ["q\\?"],
  ["q?"],
  ["star\\*"],
  ["*", "!*/", "!*.csv"],
  ["data/*", "!data/out/"],
  ["data", "!data/raw.csv"],
  ["a/*/b"],
  ["a/b/c"],
  ["*/b/"],
  ["**"],
  ["docs/deep/er/**", "!docs/deep/er/c.md"],
  ["/*.csv"],
  ["*.csv/"],
  ["d*/"],
];

async function gitAnswers(lines: string[]): Promise<Map<string, boolean>> {
  const dir = await Deno.makeTempDir({ prefix: "cairn-gitignore-" });
  try {
    for (const p of PATHS) {
      if (p.endsWith("/")) await Deno.mkdir(`${dir}/${p}`, { recursive: true });
      else await Deno.writeTextFile(`${dir}/${p}`, "x");
    }
    await Deno.writeTextFile(`${dir}/.gitignore`, lines.join("\n") + "\n");
    const init = await new Deno.Command("git", { args: ["init", "-q"], cwd: dir }).output();
    if (!init.success) throw new Error("git init failed");
    const child = new Deno.Command("git", {
      args: ["check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"],
      cwd: dir,
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(PATHS.map((p) => p.replace(/\/$/, "")).join("\0")));
    await w.close();
    const out = await child.output();
    // -z -v: source, line, pattern, path, NUL-separated
    const f = new TextDecoder().decode(out.stdout).split("\0");
    const answers = new Map<string, boolean>();
    for (let i = 0; i + 3 < f.length; i += 4) {
      const ignored = f[0 + i] !== "" && !f[2 + i].startsWith("!");
      answers.set(f[3 + i], ignored);
    }
    return answers;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("gitignore matcher agrees with git check-ignore on the pattern corpus", async () => {
  const mismatches: string[] = [];
  for (const lines of CASES) {
    const git = await gitAnswers(lines);
    const ig = new GitIgnore(lines);
    for (const p of PATHS) {
      const name = p.replace(/\/$/, "");
      const want = git.get(name);
      if (want === undefined) throw new Error(`git gave no answer for '${name}'`);
      const got = ig.test(p).ignored;
      if (got !== want) mismatches.push(`${JSON.stringify(lines)} ${p}: git ${want}, ours ${got}`);
    }
  }
  assertEquals(mismatches, []);
});

Deno.test("gitignore: the deciding rule and its line number", () => {
  const ig = new GitIgnore(["# comment", "", "*.log", "!keep.log"]);
  assertEquals(ig.test("a.log").rule?.line, 3);
  const keep = ig.test("keep.log");
  assertEquals([keep.ignored, keep.unignored, keep.rule?.pattern], [false, true, "!keep.log"]);
  assertEquals(ig.test("a.txt"), { ignored: false, unignored: false });
});
