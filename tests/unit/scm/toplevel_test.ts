import { assertStrictEquals } from "../../_rig/assert.ts";
import { gitToplevel } from "../../../lib/scm/git.ts";
import { workTreeTop } from "../../../lib/scm/toplevel.ts";

function git(args: string[], cwd: string): void {
  const out = new Deno.Command("git", { args, cwd, stdout: "null", stderr: "piped" }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

const ID = ["-c", "user.name=t", "-c", "user.email=t@x"];

Deno.test("workTreeTop gives git's --show-toplevel: repo, subfolder, worktree, submodule, none", () => {
  const tmp = Deno.realPathSync(Deno.makeTempDirSync());
  try {
    const repo = `${tmp}/repo`;
    Deno.mkdirSync(`${repo}/a/b`, { recursive: true });
    git(["init", "-q", repo], tmp);
    Deno.writeTextFileSync(`${repo}/f`, "x");
    git(["add", "f"], repo);
    git([...ID, "commit", "-qm", "c"], repo);
    git(["worktree", "add", "-q", `${tmp}/wt`], repo);
    Deno.mkdirSync(`${tmp}/wt/sub`);
    // a submodule-like nested repo whose .git is a file pointing elsewhere
    git(["init", "-q", "--separate-git-dir", `${tmp}/nested.git`, `${repo}/a/nested`], tmp);
    Deno.mkdirSync(`${tmp}/plain`);
    for (const dir of [repo, `${repo}/a/b`, `${tmp}/wt`, `${tmp}/wt/sub`, `${repo}/a/nested`]) {
      assertStrictEquals(workTreeTop(dir), gitToplevel(dir), dir);
      assertStrictEquals(typeof workTreeTop(dir), "string", dir);
    }
    assertStrictEquals(workTreeTop(`${repo}/a/nested`), `${repo}/a/nested`);
    assertStrictEquals(workTreeTop(`${tmp}/plain`), gitToplevel(`${tmp}/plain`));
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});

Deno.test("workTreeTop leaves core.worktree, bare repos and GIT_DIR to git", () => {
  const tmp = Deno.realPathSync(Deno.makeTempDirSync());
  try {
    // core.worktree: the work tree is elsewhere than the folder holding .git
    Deno.mkdirSync(`${tmp}/meta`);
    Deno.mkdirSync(`${tmp}/tree/x`, { recursive: true });
    git(["init", "-q", `${tmp}/meta`], tmp);
    git(["config", "core.worktree", `${tmp}/tree`], `${tmp}/meta`);
    assertStrictEquals(workTreeTop(`${tmp}/meta`), gitToplevel(`${tmp}/meta`));
    // bare: no work tree at all
    git(["init", "-q", "--bare", `${tmp}/bare/.git`], tmp);
    assertStrictEquals(workTreeTop(`${tmp}/bare`), gitToplevel(`${tmp}/bare`));
    // GIT_DIR/GIT_WORK_TREE point git somewhere else entirely
    Deno.mkdirSync(`${tmp}/other`);
    git(["init", "-q", `${tmp}/repo`], tmp);
    Deno.env.set("GIT_DIR", `${tmp}/repo/.git`);
    Deno.env.set("GIT_WORK_TREE", `${tmp}/repo`);
    try {
      assertStrictEquals(workTreeTop(`${tmp}/other`), `${tmp}/repo`);
    } finally {
      Deno.env.delete("GIT_DIR");
      Deno.env.delete("GIT_WORK_TREE");
    }
    assertStrictEquals(workTreeTop(`${tmp}/other`), null);
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
});
