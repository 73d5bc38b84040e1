/** git through the real `git` CLI (no libgit2): small synchronous helpers. */
import { CairnError, ScmError } from "../errors.ts";

const dec = new TextDecoder();

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function gitRaw(args: string[], opts: { cwd: string }): GitResult {
  let out: Deno.CommandOutput;
  try {
    out = new Deno.Command("git", {
      args,
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
    }).outputSync();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CairnError("git is not installed or not on PATH", {
        hint: "install git (e.g. apt-get install git)",
      });
    }
    throw err;
  }
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** Run git and return stdout; a non-zero exit becomes a CairnError with git's message. */
export function git(args: string[], cwd: string): string {
  const r = gitRaw(args, { cwd });
  if (r.code !== 0) {
    throw new ScmError(`git ${args[0]} failed`, r.stderr.trim() || `exit ${r.code}`);
  }
  return r.stdout;
}

/** Raw bytes of `git show REV:PATH` (null when the path is absent at that revision). */
export function gitShowBytes(
  rev: string,
  path: string,
  cwd: string,
): Uint8Array | null {
  const out = new Deno.Command("git", {
    args: ["cat-file", "blob", `${rev}:${path}`],
    cwd,
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return out.code === 0 ? out.stdout : null;
}

/** Top of the git work tree containing `dir`, or null when not in git. */
export function gitToplevel(dir: string): string | null {
  try {
    const r = gitRaw(["rev-parse", "--show-toplevel"], { cwd: dir });
    return r.code === 0 ? r.stdout.trim() : null;
  } catch (err) {
    if (err instanceof CairnError) return null;
    throw err;
  }
}

/** Paths (relative to cwd) among `paths` that git tracks. */
export function gitTracked(paths: string[], cwd: string): string[] {
  if (!paths.length) return [];
  const r = gitRaw(["ls-files", "-z", "--", ...paths], { cwd });
  return r.stdout.split("\0").filter(Boolean);
}

/** Paths among `paths` that git ignores. */
export function gitIgnored(paths: string[], cwd: string): Set<string> {
  if (!paths.length) return new Set();
  // (-z would need --stdin: without it git refuses and nothing looked ignored)
  const r = gitRaw(["-c", "core.quotePath=off", "check-ignore", "--no-index", "--", ...paths], {
    cwd,
  });
  return new Set(r.stdout.split("\n").filter(Boolean).map(unquoteC));
}

const C_ESCAPES: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };

/** A path as git prints it: C-quoted ("a\tb", octal bytes) when it has special characters. */
export function unquoteC(s: string): string {
  if (!(s.length >= 2 && s.startsWith('"') && s.endsWith('"'))) return s;
  const bytes: number[] = [];
  const enc = new TextEncoder();
  const body = s.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      bytes.push(...enc.encode(c));
      continue;
    }
    const n = body[++i];
    if (/[0-7]/.test(n)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(C_ESCAPES[n] ?? n.charCodeAt(0));
  }
  return dec.decode(new Uint8Array(bytes));
}
export function gitAdd(paths: string[], cwd: string): void {
  if (paths.length) git(["add", "--", ...paths], cwd);
}

/** Resolve a revision to a full sha (null if it does not exist). */
export function gitRevParse(rev: string, cwd: string): string | null {
  const r = gitRaw(["rev-parse", "--verify", "-q", `${rev}^{commit}`], { cwd });
  return r.code === 0 ? r.stdout.trim() : null;
}

export function gitHasCommits(cwd: string): boolean {
  return gitRevParse("HEAD", cwd) !== null;
}

export function gitBranches(cwd: string): string[] {
  return git(["for-each-ref", "--format=%(refname:lstrip=2)", "refs/heads"], cwd)
    .split("\n").filter(Boolean);
}

export function gitTags(cwd: string): string[] {
  return git(["for-each-ref", "--format=%(refname:lstrip=2)", "refs/tags"], cwd)
    .split("\n").filter(Boolean);
}

export function gitAllCommits(cwd: string): string[] {
  if (!gitHasCommits(cwd)) return [];
  return git(["rev-list", "--all"], cwd).split("\n").filter(Boolean);
}

export function gitCurrentBranch(cwd: string): string | null {
  const r = gitRaw(["symbolic-ref", "--short", "-q", "HEAD"], { cwd });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Files (repo-relative) in the tree of `rev` under `prefix` whose name matches `test`. */
export function gitLsTree(rev: string, cwd: string): string[] {
  return git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev], cwd)
    .split("\0").filter(Boolean);
}
