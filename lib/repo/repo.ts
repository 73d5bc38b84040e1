/**
 * The repository handle every verb receives: where the repo is, its merged
 * config, its cache dir and whether git is in use. Opening is cheap (no walk).
 */
import { dirname, join, relative, resolve } from "../path.ts";
import { CairnError, NotARepoError } from "../errors.ts";
import { type Config, configBool, loadConfig } from "../config/config.ts";
import { workTreeTop } from "../scm/toplevel.ts";
import { guardDvcDirs } from "./dvc_dir_guard.ts";

export interface Repo {
  /** absolute path of the directory holding `.dvc/`. */
  root: string;
  dvcDir: string;
  tmpDir: string;
  config: Config;
  /** absolute cache dir (`cache.dir` or `.dvc/cache`). */
  cacheDir: string;
  /** git work tree top, or null for `--no-scm` repos. */
  scmRoot: string | null;
  /** the directory the user is in (paths on the command line are relative to it). */
  cwd: string;
}

export function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    // a probe, also of folders above the repository (findRoot): one that cannot
    // be looked at (missing, no permission, a loop) is not a folder to use
    return false;
  }
}

/** Walk up from `start` to the nearest directory with a `.dvc/` folder. */
export function findRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (isDir(join(dir, ".dvc"))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

export interface OpenRepoOptions {
  /** where the user is (default Deno.cwd()). */
  cwd?: string;
}

export function openRepo(path?: string, opts: OpenRepoOptions = {}): Repo {
  const cwd = resolve(opts.cwd ?? Deno.cwd());
  const root = findRoot(path ? resolve(cwd, path) : cwd);
  if (!root) throw new NotARepoError(cwd);
  const dvcDir = join(root, ".dvc");
  const config = loadConfig(dvcDir);
  const noScm = configBool(config.core.no_scm);
  const scmRoot = noScm ? null : workTreeTop(root);
  if (!noScm && !scmRoot) {
    throw new CairnError(
      `'${root}' is not a git repository and core.no_scm is not set`,
      { hint: "run 'git init' there, or 'cairn config core.no_scm true'" },
    );
  }
  // before any verb takes the lock or opens the state index in .dvc/tmp
  guardDvcDirs(root, scmRoot);
  return {
    root,
    dvcDir,
    tmpDir: join(dvcDir, "tmp"),
    config,
    cacheDir: config.cache.dir ? resolve(dvcDir, config.cache.dir) : join(dvcDir, "cache"),
    scmRoot,
    cwd,
  };
}

/** Repo-relative posix path of an absolute path (throws if outside the repo). */
export function repoRelative(repo: Repo, abs: string): string {
  const rel = relative(repo.root, abs);
  if (rel === "") return "";
  if (rel.startsWith("..") || resolve(repo.root, rel) !== resolve(abs)) {
    throw new CairnError(
      `'${abs}' is outside of the repository '${repo.root}'`,
    );
  }
  // A backslash is a separator only on Windows; elsewhere it is part of a name.
  return Deno.build.os === "windows" ? rel.split("\\").join("/") : rel;
}

/** Absolute path of a user-given path (relative to the user's cwd). */
export function userPath(repo: Repo, p: string): string {
  return resolve(repo.cwd, p);
}

/** Path to show the user for a repo-relative path (relative to their cwd, as DVC prints). */
export function displayPath(repo: Repo, repoRel: string): string {
  const rel = relative(repo.cwd, join(repo.root, repoRel));
  return rel === "" ? "." : rel;
}
