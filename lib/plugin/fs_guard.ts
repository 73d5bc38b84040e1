/**
 * Inside a project plugin's Worker: refuse file paths that pass through a
 * symlink leading outside the plugin's grants.
 *
 * Deno checks a Worker's read/write grants against path strings, so a
 * symlink that already sits inside a granted folder (a hostile remote
 * folder, a repository's committed link) would take an honest plugin
 * outside its grant. Before a project plugin is imported, its Worker wraps
 * the `Deno` file APIs: each path below a granted root is walked component
 * by component, and a component that is a symlink must resolve inside the
 * grants. The wrappers cannot be removed by the plugin (the properties are
 * made read-only), but this is a guard for plugins that use the `Deno`
 * namespace, not a wall: `node:fs` and a plugin that sets out to evade it are
 * not covered (trust in the plugin, lib/plugin/trust.ts, covers that), nor a
 * link swapped in between the check and the use.
 */

/** Real paths the Worker was granted (lib/plugin/manifest.ts resolves them). */
export interface FsGuardRoots {
  read: string[];
  write: string[];
}

/** Thrown for a path through a symlink that leads outside the grants. */
export class SymlinkEscapeError extends Error {
  constructor(path: string, link: string, target: string) {
    super(
      `Requires read access to "${target}": '${path}' passes through the symlink '${link}', ` +
        `which leads outside the plugin's grant`,
    );
    // Reported like Deno's own permission errors (the host names the grant).
    this.name = "NotCapable";
  }
}

type Mode = "follow" | "nofollow";

function within(p: string, dir: string): boolean {
  if (dir === "/") return p.startsWith("/");
  return p === dir || p.startsWith(dir + "/");
}

function normalize(p: string): string {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Install the guard on `Deno`'s file APIs. Idempotent per Worker. */
export function installFsGuard(roots: FsGuardRoots): void {
  const d = Deno as unknown as Record<string, unknown>;
  if (d.__cairnFsGuard) return;
  const lstat = Deno.lstatSync;
  const realPath = Deno.realPathSync;
  const grants = [...new Set([...roots.read, ...roots.write])].map(normalize);

  const toPath = (p: unknown): string | undefined => {
    if (p instanceof URL) {
      return p.protocol === "file:" ? decodeURIComponent(p.pathname) : undefined;
    }
    if (typeof p !== "string") return undefined;
    return p.startsWith("/") ? p : undefined; // relative paths: Deno's own check decides
  };

  const check = (raw: unknown, mode: Mode): void => {
    const p = toPath(raw);
    if (p === undefined) return;
    const abs = normalize(p);
    let root: string | undefined;
    for (const g of grants) if (within(abs, g) && (!root || g.length > root.length)) root = g;
    if (!root) return; // outside every grant: Deno refuses it anyway
    const parts = abs === root ? [] : abs.slice(root === "/" ? 1 : root.length + 1).split("/");
    const last = mode === "nofollow" ? parts.length - 1 : parts.length;
    let q = root === "/" ? "" : root;
    for (let i = 0; i < last; i++) {
      q = `${q}/${parts[i]}`;
      let st: Deno.FileInfo;
      try {
        st = lstat(q);
      } catch {
        return; // missing (or not readable): nothing to follow from here
      }
      if (!st.isSymlink) continue;
      let target: string;
      try {
        target = realPath(q);
      } catch {
        return; // dangling: the operation fails on its own
      }
      if (!grants.some((g) => within(target, g))) throw new SymlinkEscapeError(abs, q, target);
    }
  };

  type Fn = (...a: unknown[]) => unknown;
  const wrap = (name: string, paths: [number, Mode][]) => {
    for (const n of [name, `${name}Sync`]) {
      const orig = d[n] as Fn | undefined;
      if (typeof orig !== "function") continue;
      const guarded = function (this: unknown, ...a: unknown[]) {
        for (const [i, mode] of paths) check(a[i], mode);
        return orig.apply(this, a);
      };
      Object.defineProperty(Deno, n, { value: guarded, writable: false, configurable: false });
    }
  };
  const F: Mode = "follow";
  const N: Mode = "nofollow";
  wrap("readFile", [[0, F]]);
  wrap("readTextFile", [[0, F]]);
  wrap("writeFile", [[0, F]]);
  wrap("writeTextFile", [[0, F]]);
  wrap("open", [[0, F]]);
  wrap("create", [[0, F]]);
  wrap("stat", [[0, F]]);
  wrap("lstat", [[0, N]]);
  wrap("readDir", [[0, F]]);
  wrap("readLink", [[0, N]]);
  wrap("realPath", [[0, F]]);
  wrap("copyFile", [[0, F], [1, F]]);
  wrap("rename", [[0, N], [1, N]]);
  wrap("remove", [[0, N]]);
  wrap("mkdir", [[0, F]]);
  wrap("chmod", [[0, F]]);
  wrap("chown", [[0, F]]);
  wrap("truncate", [[0, F]]);
  wrap("link", [[0, F], [1, N]]);
  wrap("symlink", [[1, N]]);
  wrap("utime", [[0, F]]);
  Object.defineProperty(Deno, "__cairnFsGuard", { value: true });
}
