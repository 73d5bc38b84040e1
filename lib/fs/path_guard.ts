/**
 * The one containment check for paths that come from files cairn did not
 * just write: `.dvc`, `dvc.yaml`, `dvc.lock` and `.dir` listings (a cloned
 * repo's or a remote's bytes). Such a path must land inside the workspace
 * (inside its output folder for a `.dir` entry), must not pass through a
 * symlinked directory that leads elsewhere, and must not touch `.git` or
 * `.dvc` (git would run hooks and `core.fsmonitor` planted there; `.dvc`
 * holds the config and the cache). Callers check every path before writing
 * anything, so a refusal leaves the disk as it was.
 */
import { CairnError } from "../errors.ts";

/** Where an untrusted path was read: the file and the entry in it. */
export interface PathOrigin {
  /** the file named in messages: `x.dvc`, `dvc.yaml`, a `.dir` object. */
  file: string;
  /** the entry within it: `outs[0].path`, `stages.train.outs`, `relpath`. */
  entry: string;
}

/** A path from an untrusted file that cairn refuses to use (exit 1, like `add`'s refusals). */
export class UnsafePathError extends CairnError {
  readonly file: string;
  readonly entry: string;
  /** the path as written in the file. */
  readonly path: string;
  /** what it would resolve to (absolute), when known. */
  readonly resolved?: string;
  readonly reason: string;
  constructor(origin: PathOrigin, path: string, reason: string, resolved?: string) {
    const where = resolved && resolved !== path ? ` (resolves to '${resolved}')` : "";
    super(
      `unsafe path in '${origin.file}': ${origin.entry} '${path}'${where} ${reason}; ` +
        `refusing to use it, nothing was written`,
      {
        hint: `'${origin.file}' may come from someone else (a clone, a remote); ` +
          `check it before using this project`,
      },
    );
    this.file = origin.file;
    this.entry = origin.entry;
    this.path = path;
    this.resolved = resolved;
    this.reason = reason;
  }
}

/** Names git and DVC keep their internals under; matched case-insensitively, as git does. */
function internalDir(component: string): string | null {
  const c = component.toLowerCase();
  if (c === ".git") return "is inside git's metadata (.git)";
  if (c === ".dvc") return "is inside DVC's internal folder (.dvc)";
  return null;
}

/** Lexical `a/./b/../c` -> `a/c`; keeps leading `..`. */
function normalize(p: string): string[] {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else out.push(part);
  }
  return out;
}

/**
 * Why a path relative to the workspace root (as a stage file gives it,
 * already joined with the stage's wdir or not) may not be written; null if
 * it may. Absolute paths are reported: whether one is allowed (an uncached
 * external output) is the caller's decision.
 */
export function workspacePathProblem(rel: string): string | null {
  if (rel.includes("\0")) return "contains a NUL byte";
  if (rel.startsWith("/")) return "is an absolute path (cached outputs must be inside the project)";
  const parts = normalize(rel);
  if (parts.length === 0) return "is the project folder itself";
  if (parts[0] === "..") return "leads outside the project";
  for (const part of parts) {
    const why = internalDir(part);
    if (why) return why;
  }
  return null;
}

/**
 * Why a `.dir` listing entry may not be written below its output; null if
 * it may. DVC writes plain relative posix paths: no `.`/`..`/empty
 * components, never `.git` or `.dvc` (built-in ignores), so anything else is
 * refused.
 */
export function listingEntryProblem(relpath: string): string | null {
  if (relpath.includes("\0")) return "contains a NUL byte";
  if (relpath === "") return "is empty";
  if (relpath.startsWith("/")) return "is an absolute path";
  for (const part of relpath.split("/")) {
    if (part === "..") return "leads outside its output folder ('..')";
    if (part === "" || part === ".") return "is not a plain relative path";
    const why = internalDir(part);
    if (why) return why;
  }
  return null;
}

/**
 * The lexical half of PathGuard.checkListing, for listings that are not
 * written anywhere yet (fetching): throws UnsafePathError for the first bad entry.
 */
export function checkListingEntries(
  entries: readonly { relpath: string }[],
  origin: PathOrigin,
): void {
  for (let i = 0; i < entries.length; i++) {
    const why = listingEntryProblem(entries[i].relpath);
    if (why) {
      throw new UnsafePathError(
        { file: origin.file, entry: `${origin.entry} #${i} relpath` },
        entries[i].relpath,
        why,
      );
    }
  }
}

/** True if `p` is `dir` or below it (absolute, normalized). */
function within(p: string, dir: string): boolean {
  return p === dir || dir === "/" || p.startsWith(dir + "/");
}

function lexists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks paths against one containing folder, following the symlinks that
 * already exist on disk. Real paths are memoized per directory, so checking
 * every entry of a big listing costs one lookup per distinct folder.
 */
export class PathGuard {
  /** the containing folder as given (absolute, no trailing slash). */
  readonly base: string;
  #realBase: string | undefined;
  #realDirs = new Map<string, string>();

  constructor(base: string) {
    this.base = base.length > 1 && base.endsWith("/") ? base.slice(0, -1) : base;
  }

  get realBase(): string {
    if (this.#realBase === undefined) {
      try {
        this.#realBase = Deno.realPathSync(this.base);
      } catch {
        this.#realBase = this.base; // not created yet: nothing below it can be a symlink
      }
    }
    return this.#realBase;
  }

  /** Real path of the deepest existing folder on the way to `dir` (absolute, below base). */
  #realDir(dir: string): string {
    const hit = this.#realDirs.get(dir);
    if (hit !== undefined) return hit;
    let real: string;
    if (dir.length <= this.base.length) real = this.realBase;
    else if (lexists(dir)) {
      try {
        real = Deno.realPathSync(dir);
      } catch {
        // a dangling symlink on the way: judge by where it points (readlink of the link itself)
        real = this.#danglingTarget(dir);
      }
    } else {
      const up = dir.slice(0, dir.lastIndexOf("/"));
      real = `${this.#realDir(up)}/${dir.slice(up.length + 1)}`;
    }
    this.#realDirs.set(dir, real);
    return real;
  }

  #danglingTarget(dir: string): string {
    const up = dir.slice(0, dir.lastIndexOf("/"));
    try {
      const target = Deno.readLinkSync(dir);
      const joined = target.startsWith("/") ? target : `${this.#realDir(up)}/${target}`;
      return "/" + normalize(joined).join("/");
    } catch {
      return `${this.#realDir(up)}/${dir.slice(up.length + 1)}`;
    }
  }

  /**
   * Why `abs` (lexically below base) may not be written because of the
   * symlinks on the way; null if it may. Its parent folders, as they exist
   * now, must resolve inside base and not into `.git`/`.dvc`. The last
   * component itself is not followed (writes replace it by rename).
   */
  symlinkProblem(abs: string): { reason: string; real: string } | null {
    const parent = abs.slice(0, abs.lastIndexOf("/"));
    if (parent.length < this.base.length) return null;
    const real = this.#realDir(parent);
    const realBase = this.realBase;
    if (!within(real, realBase)) {
      return { reason: "passes through a symlink that leads outside", real };
    }
    const below = real.slice(realBase.length + 1);
    for (const part of below ? below.split("/") : []) {
      const why = internalDir(part);
      if (why) return { reason: `${why}, reached through a symlink`, real };
    }
    return null;
  }

  /**
   * Absolute path of workspace-relative `rel` from `origin`, or an
   * UnsafePathError saying why it may not be used (`shown` = the path as
   * the file wrote it, for the message).
   */
  resolve(rel: string, origin: PathOrigin, shown = rel): string {
    const lexical = workspacePathProblem(rel);
    const abs = rel.startsWith("/") ? rel : `${this.base}/${normalize(rel).join("/")}`;
    if (lexical) throw new UnsafePathError(origin, shown, lexical, abs);
    const sym = this.symlinkProblem(abs);
    if (sym) throw new UnsafePathError(origin, shown, sym.reason, sym.real);
    return abs;
  }

  /**
   * Check every entry of a `.dir` listing to be written below base (the
   * output folder): lexically, then against symlinked folders that already
   * exist inside it.
   */
  checkListing(entries: readonly { relpath: string }[], origin: PathOrigin): void {
    checkListingEntries(entries, origin);
    let lastParent: string | undefined;
    for (let i = 0; i < entries.length; i++) {
      const rel = entries[i].relpath;
      // The answer depends on the folder only (sorted listings repeat it).
      const parent = rel.slice(0, Math.max(0, rel.lastIndexOf("/")));
      if (parent === lastParent) continue;
      lastParent = parent;
      const sym = this.symlinkProblem(`${this.base}/${rel}`);
      if (sym) {
        const entry = `${origin.entry} #${i} relpath`;
        throw new UnsafePathError({ file: origin.file, entry }, rel, sym.reason, sym.real);
      }
    }
  }
}
