/**
 * Whether git ignores a path (`git check-ignore --no-index`), decided in
 * process: the `.gitignore` files from the work tree's top down to the
 * path's folder (deeper files first, the last matching line of a file
 * wins, `!` re-includes), then `$GIT_DIR/info/exclude`, then
 * `core.excludesFile`; a path inside an excluded folder is ignored whatever
 * comes after. Lines are matched by lib/fs/gitignore.ts. Spawning git for
 * this cost ~10 ms per output of every stage `repro` ran (issue 16).
 *
 * Where the files say something this code does not model (GIT_DIR and
 * friends in the environment, `core.ignoreCase`, config includes it cannot
 * read, symlinked or non-UTF-8 ignore files, nested repositories, a path
 * outside the work tree or below a symlink), the answer comes from git
 * itself, as before. tests/unit/scm/git_ignored_test.ts compares both.
 */
import { GitIgnore } from "../fs/gitignore.ts";
import { gitIgnored, gitRaw } from "./git.ts";

/** Environment variables that change which repository, config or ignore files git reads. */
const GIT_ENV = [
  "GIT_DIR",
  "GIT_WORK_TREE",
  "GIT_COMMON_DIR",
  "GIT_CONFIG",
  "GIT_CONFIG_COUNT",
  "GIT_CONFIG_PARAMETERS",
  "GIT_CEILING_DIRECTORIES",
  "GIT_NAMESPACE",
];

interface RepoIgnores {
  /** info/exclude then core.excludesFile (checked in that order, after the .gitignore files). */
  global: GitIgnore[];
}

/** core.excludesFile per work tree, with the config texts it was derived from. */
const excludesPaths = new Map<string, { configs: string; path: string | undefined | null }>();
/** Parsed ignore files by path, kept while their text is unchanged. */
const files = new Map<string, { text: string; rules: GitIgnore }>();

function env(name: string): string | undefined {
  return Deno.env.get(name) || undefined;
}

/** Text of a file; undefined when absent; null when git might read it differently. */
function readIgnoreFile(path: string): string | undefined | null {
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    return null;
  }
  if (!st.isFile) return null; // a symlink (git >= 2.32 refuses it), a folder, ...
  const text = Deno.readTextFileSync(path);
  return text.includes("\uFFFD") ? null : text; // not UTF-8: bytes we cannot compare
}

/** The rules of an ignore file, as git reads its lines (BOM, CRLF, comments). */
function rulesOf(path: string): GitIgnore | undefined | null {
  const text = readIgnoreFile(path);
  if (text === undefined || text === null) return text;
  const hit = files.get(path);
  if (hit?.text === text) return hit.rules;
  const lines = text.replace(/^\uFEFF/, "").split("\n").map((l) => l.replace(/\r$/, ""));
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const rules = new GitIgnore(lines);
  if (files.size >= 256) files.clear();
  files.set(path, { text, rules });
  return rules;
}

/** `$GIT_DIR` and the common dir of the work tree at `root` (a linked worktree has both). */
function gitDirs(root: string): { gitDir: string; commonDir: string } | null {
  const dotGit = `${root}/.git`;
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(dotGit);
  } catch {
    return null; // no .git here, or one not to be looked at: git decides
  }
  if (st.isDirectory) return { gitDir: dotGit, commonDir: dotGit };
  if (!st.isFile) return null;
  const m = /^gitdir: (.+)$/m.exec(Deno.readTextFileSync(dotGit));
  if (!m) return null;
  const gitDir = m[1].startsWith("/") ? m[1] : `${root}/${m[1]}`;
  let commonDir = gitDir;
  try {
    const c = Deno.readTextFileSync(`${gitDir}/commondir`).trim();
    commonDir = c.startsWith("/") ? c : `${gitDir}/${c}`;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) return null;
  }
  return { gitDir, commonDir };
}

/** The config files git reads for a repository (system, global, repo, worktree). */
function configFiles(dirs: { gitDir: string; commonDir: string }): string[] {
  const out: string[] = [];
  if (!env("GIT_CONFIG_NOSYSTEM")) out.push(env("GIT_CONFIG_SYSTEM") ?? "/etc/gitconfig");
  const global = env("GIT_CONFIG_GLOBAL");
  if (global) out.push(global);
  else {
    const home = env("HOME");
    const xdg = env("XDG_CONFIG_HOME") ?? (home ? `${home}/.config` : undefined);
    if (xdg) out.push(`${xdg}/git/config`);
    if (home) out.push(`${home}/.gitconfig`);
  }
  out.push(`${dirs.commonDir}/config`, `${dirs.gitDir}/config.worktree`);
  return out;
}

/**
 * core.excludesFile (undefined: none; null: git must decide). Git's default
 * unless a config file mentions it (or includes others): then git itself
 * is asked, once per content of the config files.
 */
function excludesFile(root: string, dirs: { gitDir: string; commonDir: string }) {
  const texts: string[] = [];
  for (const f of configFiles(dirs)) {
    try {
      texts.push(Deno.readTextFileSync(f));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
        continue;
      }
      return null;
    }
  }
  const configs = texts.join("\0");
  const hit = excludesPaths.get(root);
  if (hit?.configs === configs) return hit.path;
  let path: string | undefined | null;
  if (/ignorecase/i.test(configs)) path = null; // case-insensitive matching: git's business
  else if (/excludesfile|\[\s*include/i.test(configs)) {
    const r = gitRaw(["config", "--path", "--get", "core.excludesFile"], { cwd: root });
    const p = r.stdout.replace(/\n$/, "");
    path = r.code === 1 ? undefined : r.code !== 0 ? null : p.startsWith("/") ? p : `${root}/${p}`;
  } else {
    const home = env("HOME");
    const xdg = env("XDG_CONFIG_HOME") ?? (home ? `${home}/.config` : undefined);
    path = xdg ? `${xdg}/git/ignore` : undefined;
  }
  excludesPaths.set(root, { configs, path });
  return path;
}

/** The repo-wide lists of a work tree; null when git must decide. */
function repoIgnores(root: string): RepoIgnores | null {
  if (GIT_ENV.some((n) => Deno.env.get(n) !== undefined)) return null;
  const dirs = gitDirs(root);
  if (!dirs) return null;
  const excludes = excludesFile(root, dirs);
  if (excludes === null) return null;
  const global: GitIgnore[] = [];
  for (const f of [`${dirs.commonDir}/info/exclude`, excludes]) {
    if (f === undefined) continue;
    const rules = rulesOf(f);
    if (rules === null) return null;
    if (rules) global.push(rules);
  }
  return { global };
}

/**
 * git's verdict on `absPath` (in the work tree at `root`), computed here:
 * true / false, or undefined when only git can tell.
 */
export function gitIgnoreVerdict(absPath: string, root: string): boolean | undefined {
  if (!absPath.startsWith(root + "/")) return undefined;
  const rel = absPath.slice(root.length + 1);
  if (rel === "" || rel.split("/").some((p) => p === "" || p === "." || p === "..")) {
    return undefined;
  }
  try {
    const repo = repoIgnores(root);
    return repo ? verdict(rel, root, repo) : undefined;
  } catch {
    return undefined; // anything unexpected (permissions, odd files): git decides
  }
}

/** A list with its folder (relative to the top, "" for the top). */
type Level = { base: string; rules: GitIgnore };

/** The first decisive rule, deepest .gitignore first, then the repo-wide lists. */
function decide(levels: Level[], global: GitIgnore[], rel: string, isDir: boolean) {
  for (let i = levels.length - 1; i >= 0; i--) {
    const { base, rules } = levels[i];
    const r = rules.match(base ? rel.slice(base.length + 1) : rel, isDir);
    if (r) return r;
  }
  for (const rules of global) {
    const r = rules.match(rel, isDir);
    if (r) return r;
  }
  return undefined;
}

function verdict(rel: string, root: string, repo: RepoIgnores): boolean | undefined {
  const parts = rel.split("/");
  const levels: Level[] = [];
  for (let i = 0; i < parts.length; i++) {
    const dir = parts.slice(0, i).join("/");
    const abs = dir ? `${root}/${dir}` : root;
    if (i > 0) {
      const st = Deno.lstatSync(abs); // throws for a missing folder: git decides
      if (!st.isDirectory) return undefined; // below a symlink
      // a nested repository is git's business
      try {
        Deno.lstatSync(`${abs}/.git`);
        return undefined;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) return undefined;
      }
      // a folder excluded by what is above it excludes everything inside
      const r = decide(levels, repo.global, dir, true);
      if (r && !r.negate) return true;
    }
    const rules = rulesOf(`${abs}/.gitignore`);
    if (rules === null) return undefined;
    if (rules) levels.push({ base: dir, rules });
  }
  let isDir = false;
  try {
    isDir = Deno.lstatSync(`${root}/${rel}`).isDirectory;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) return undefined;
  }
  const r = decide(levels, repo.global, rel, isDir);
  return r !== undefined && !r.negate;
}

/** Does git ignore `absPath` (work tree at `root`)? In process where possible, else `git check-ignore`. */
export function ignoredByGit(absPath: string, root: string): boolean {
  return gitIgnoreVerdict(absPath, root) ?? gitIgnored([absPath], root).size > 0;
}

/** git's ignore rules inside one folder of a walk (see gitIgnoreScope). */
export interface IgnoreScope {
  /** Does git ignore the entry `name` of this folder? */
  ignored(name: string, isDir: boolean): boolean;
  /** The scope of the (not ignored) subfolder `name`; null when only git can tell. */
  enter(name: string): IgnoreScope | null;
}

/**
 * For a walk of the work tree whose top is `root` that prunes ignored
 * folders (as DVC's collection walk does): rules read once per folder
 * instead of once per path. null when only git can tell (see the top).
 */
export function gitIgnoreScope(root: string): IgnoreScope | null {
  try {
    const repo = repoIgnores(root);
    if (!repo) return null;
    const top = rulesOf(`${root}/.gitignore`);
    if (top === null) return null;
    return scopeOf("", root, top ? [{ base: "", rules: top }] : [], repo);
  } catch {
    return null; // anything unexpected (permissions, odd files): git decides
  }
}

function scopeOf(dir: string, abs: string, levels: Level[], repo: RepoIgnores): IgnoreScope {
  const relOf = (name: string) => dir ? `${dir}/${name}` : name;
  return {
    ignored(name, isDir) {
      const r = decide(levels, repo.global, relOf(name), isDir);
      return r !== undefined && !r.negate;
    },
    enter(name) {
      const sub = `${abs}/${name}`;
      try {
        Deno.lstatSync(`${sub}/.git`);
        return null; // a nested repository is git's business
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) return null;
      }
      try {
        const rules = rulesOf(`${sub}/.gitignore`);
        if (rules === null) return null;
        const next = rules ? [...levels, { base: relOf(name), rules }] : levels;
        return scopeOf(relOf(name), sub, next, repo);
      } catch {
        return null; // unreadable .gitignore: git decides
      }
    },
  };
}
