/**
 * The top of the git work tree around a directory, as
 * `git rev-parse --show-toplevel` gives it, without starting git in the usual
 * case (every command opens the repo: a git process is several ms of start-up,
 * issue 16). Walking up to the nearest `.git` answers when it is a plain
 * repository or a linked worktree/submodule owned by this user; anything
 * that could change git's answer (GIT_DIR and the other discovery variables,
 * `core.worktree`, `core.bare`, another owner, a `.git` that does not look
 * like a repository, a file-system boundary) is left to git itself.
 */
import { dirname, join } from "../path.ts";
import { gitToplevel } from "./git.ts";
import { ignoreDenied } from "../errors.ts";

/** Environment variables that change where git looks for the repository. */
const DISCOVERY_ENV = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_COMMON_DIR",
  "GIT_CEILING_DIRECTORIES",
  "GIT_DISCOVERY_ACROSS_FILESYSTEM",
];

type Probe = "none" | "repo" | "ask-git";

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw err;
  }
}

function myUid(): number | null {
  try {
    return Deno.uid();
  } catch (err) {
    ignoreDenied(err);
    return null; // no sys permission (library use): let git decide
  }
}

/** What the `.git` entry of `dir` says about it. */
function probe(dir: string, uid: number | null): Probe {
  const dotGit = join(dir, ".git");
  const st = statOrNull(dotGit);
  if (!st) return "none";
  if (uid === null || st.uid !== uid) return "ask-git"; // git's safe.directory check
  if (st.isFile) {
    // a linked worktree or submodule: "gitdir: <path>"
    const text = Deno.readTextFileSync(dotGit);
    return text.startsWith("gitdir: ") ? "repo" : "ask-git";
  }
  if (!st.isDirectory || !statOrNull(join(dotGit, "HEAD"))?.isFile) return "ask-git";
  let config = "";
  try {
    config = Deno.readTextFileSync(join(dotGit, "config"));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return /^\s*worktree\s*=/im.test(config) || /^\s*bare\s*=\s*(true|yes|on|1)\s*$/im.test(config)
    ? "ask-git"
    : "repo";
}

/** Top of the git work tree containing `dir` (a real path), or null when not in git. */
export function workTreeTop(dir: string): string | null {
  try {
    if (DISCOVERY_ENV.some((name) => Deno.env.get(name) !== undefined)) return gitToplevel(dir);
  } catch (err) {
    ignoreDenied(err);
    return gitToplevel(dir); // no env permission: git reads its environment itself
  }
  const uid = myUid();
  const device = statOrNull(dir)?.dev;
  for (let d = dir;;) {
    const p = probe(d, uid);
    if (p === "repo") return d;
    if (p === "ask-git") return gitToplevel(dir);
    const up = dirname(d);
    if (up === d) return null;
    // git stops at a file-system boundary (GIT_DISCOVERY_ACROSS_FILESYSTEM): let it say so
    if (statOrNull(up)?.dev !== device) return gitToplevel(dir);
    d = up;
  }
}
