/**
 * Deno checks a Worker's read/write permissions on path strings: a symlink
 * that already sits inside a granted folder leads wherever it points, and
 * Deno has no O_NOFOLLOW/openat to stop that. So code that opens paths
 * below a granted root (the local remote's keys, the cache paths the host
 * hands a plugin) first checks, component by component with lstat, that
 * nothing between the root and the file is a symlink. Folders already seen
 * are remembered; a symlink swapped in by someone else between the check and
 * the use is not caught (see docs/plugins.md).
 */

/** A path below a root went through a symlink. */
export class SymlinkRefusedError extends Error {
  /** the component that is a symlink. */
  readonly link: string;
  readonly fatal = true;
  readonly hint: string;
  constructor(root: string, rel: string, link: string, hint?: string) {
    super(
      `refusing '${rel}' under ${root}: '${link}' is a symlink, and paths are never followed ` +
        `through symlinks inside a granted folder (they could lead outside it)`,
    );
    this.name = "SymlinkRefusedError";
    this.link = link;
    this.hint = hint ?? `remove the symlink ${link}, or point the configuration at its target`;
  }
}

/** A relative path with no empty, `.` or `..` component (needs no normalising). */
const PLAIN = /^(?:(?!\.\.?(?:\/|$))[^/]+\/)*(?!\.\.?$)[^/]+$/;

/** Checks paths below one root; remembers folders already found to be real folders. */
export class NoSymlinks {
  readonly root: string;
  #dirs = new Set<string>();

  /** the root with its trailing slash ("/" for the root folder itself). */
  #prefix: string;

  constructor(root: string) {
    this.root = root.length > 1 ? root.replace(/\/+$/, "") : root;
    this.#prefix = this.root === "/" ? "/" : `${this.root}/`;
  }

  /**
   * Throw SymlinkRefusedError when `rel` (a relative POSIX path) passes
   * through a symlink below the root, or is one. Missing components are
   * fine (they will be created as real folders/files). Returns the full path.
   * `parentsOnly`: the last component is not looked at (a name that will be
   * replaced by rename, which does not follow a symlink there).
   */
  check(rel: string, opts: { parentsOnly?: boolean } = {}): string {
    return this.#walk(rel, !!opts.parentsOnly).path;
  }

  /** check(), also returning the last component's lstat (undefined when it is missing). */
  checkStat(rel: string): { path: string; info?: Deno.FileInfo } {
    return this.#walk(rel, false);
  }

  #walk(rel: string, parentsOnly: boolean): { path: string; info?: Deno.FileInfo } {
    // Fast path (every object of a transfer): a plain relative path whose folder
    // was already found real needs at most the lstat of its last component.
    const slash = rel.lastIndexOf("/");
    if (slash > 0 && PLAIN.test(rel)) {
      const dir = `${this.#prefix}${rel.slice(0, slash)}`;
      if (this.#dirs.has(dir)) {
        const path = `${this.#prefix}${rel}`;
        if (parentsOnly) return { path };
        let st: Deno.FileInfo;
        try {
          st = Deno.lstatSync(path);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) return { path };
          throw err;
        }
        if (st.isSymlink) throw new SymlinkRefusedError(this.root, rel, path);
        return { path, info: st };
      }
    }
    const parts = rel.split("/").filter((s) => s !== "" && s !== ".");
    if (parts.includes("..")) throw new SymlinkRefusedError(this.root, rel, rel, "'..' in a key");
    const path = `${this.root}/${parts.join("/")}`;
    let p = this.root === "/" ? "" : this.root;
    const n = parentsOnly ? parts.length - 1 : parts.length;
    for (let i = 0; i < n; i++) {
      p = `${p}/${parts[i]}`;
      const last = i === parts.length - 1;
      if (!last && this.#dirs.has(p)) continue;
      let st: Deno.FileInfo;
      try {
        st = Deno.lstatSync(p);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return { path };
        throw err;
      }
      if (st.isSymlink) throw new SymlinkRefusedError(this.root, rel, p);
      if (!last && st.isDirectory) this.#dirs.add(p);
      if (last) return { path, info: st };
    }
    return { path };
  }

  /** Forget remembered folders (after removing folders). */
  reset(): void {
    this.#dirs.clear();
  }
}
