/**
 * `ls-url` / `list-url` (DVC's `Repo.ls_url`): a directory's entries (files,
 * then directories), or every file below it with `recursive`. Local paths and
 * `file://` URLs are read directly; s3://, ssh://, webdav(s):// through the
 * remote plugin of their scheme (with exactly its manifest's grants); an
 * http(s):// URL is a single file, as DVC's HTTP filesystem sees it.
 */
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CairnError, ExitCode, fsError } from "../errors.ts";
import { openRemote } from "../plugin/remote.ts";
import type { ListEntry } from "../plugin/remote_api.ts";

/** One entry as DVC lists it. */
export interface UrlEntry {
  /** path relative to the listed directory (or the URL itself for a file). */
  path: string;
  isdir: boolean;
  size?: number;
}

export interface LsUrlOptions {
  cwd: string;
  recursive?: boolean;
  /** DVC's `maxdepth`: limits the recursion (0: the URL itself). */
  maxdepth?: number;
  /** `--fs-config k=v`: settings of the URL's filesystem (as a remote's config keys). */
  fsConfig?: Record<string, string>;
}

function missing(url: string, detail: string): CairnError {
  return new CairnError(`The path '${url}' does not exist: ${detail}`, {
    exitCode: ExitCode.other,
  });
}

function isLocal(url: string): boolean {
  return url.startsWith("file://") || !/^[a-z][a-z0-9+.-]*:\/\//i.test(url);
}

/** DVC's `ls_url` for any supported URL. */
export async function lsUrl(url: string, opts: LsUrlOptions): Promise<UrlEntry[]> {
  if (isLocal(url)) return lsLocal(url, opts);
  if (/^https?:\/\//i.test(url)) return await lsHttp(url);
  return await lsRemote(url, opts);
}

/** DVC's HTTP filesystem cannot list: any URL that answers is one file. */
async function lsHttp(url: string): Promise<UrlEntry[]> {
  let res: Response;
  try {
    res = await fetch(url, { method: "HEAD" });
    await res.body?.cancel();
  } catch (err) {
    throw new CairnError(`failed to reach '${url}': ${(err as Error).message}`);
  }
  if (!res.ok) {
    throw missing(url, `${url}: ${res.status}, message='${res.statusText}', url='${res.url}'`);
  }
  return [{ path: url, isdir: false }];
}

/** A directory tree rebuilt from object keys (object stores have no folders). */
interface Dir {
  files: Map<string, number | undefined>;
  dirs: Map<string, Dir>;
}

function treeOf(entries: ListEntry[]): Dir {
  const root: Dir = { files: new Map(), dirs: new Map() };
  for (const e of entries) {
    const parts = e.key.split("/").filter((p) => p);
    if (!parts.length) continue;
    let d = root;
    for (const p of e.dir ? parts : parts.slice(0, -1)) {
      let sub = d.dirs.get(p);
      if (!sub) d.dirs.set(p, sub = { files: new Map(), dirs: new Map() });
      d = sub;
    }
    if (!e.dir) d.files.set(parts[parts.length - 1], e.size);
  }
  return root;
}

const byName = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;

/** How DVC names a single file: the filesystem's path of it (no scheme). */
function remoteFileName(url: string): string {
  const u = new URL(url);
  const path = decodeURIComponent(u.pathname);
  if (u.protocol === "s3:") return `${u.host}${path}`;
  if (u.protocol === "ssh:") return path;
  return path.replace(/^\/+/, "");
}

/** A remote URL's objects (a folder), or "file" when it names one object. */
async function remoteListing(url: string, opts: LsUrlOptions): Promise<ListEntry[] | "file"> {
  const root = url.replace(/\/+$/, "");
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-ls-url-" });
  try {
    const remote = await openRemote({ ...opts.fsConfig, url: root }, { name: root, cacheDir: tmp });
    let entries: ListEntry[];
    try {
      // sizes and empty folders where the plugin can tell them (else keys only)
      entries = await remote.listEntries("");
    } finally {
      await remote.close();
    }
    if (entries.length) return entries;
    // not a folder with files: a single file, or nothing
    const slash = root.lastIndexOf("/");
    const base = root.slice(0, slash);
    const name = decodeURIComponent(root.slice(slash + 1));
    let found = false;
    if (name && !/^[a-z][a-z0-9+.-]*:\/?$/i.test(base)) {
      const parent = await openRemote({ ...opts.fsConfig, url: base }, {
        name: base,
        cacheDir: tmp,
      });
      try {
        [found] = await parent.exists([name]);
      } finally {
        await parent.close();
      }
    }
    if (!found) throw missing(url, `No such file or directory: '${remoteFileName(root)}'`);
    return "file";
  } finally {
    Deno.removeSync(tmp, { recursive: true });
  }
}

async function lsRemote(url: string, opts: LsUrlOptions): Promise<UrlEntry[]> {
  const listing = await remoteListing(url, opts);
  const name = remoteFileName(url.replace(/\/+$/, ""));
  if (listing === "file" || opts.maxdepth === 0) return [{ path: name, isdir: false }];
  const out: UrlEntry[] = [];
  const walk = (dir: Dir, rel: string, depth: number) => {
    const leaf = !opts.recursive ||
      (opts.maxdepth !== undefined && depth >= opts.maxdepth - 1);
    const join = (n: string) => rel ? `${rel}/${n}` : n;
    for (const name of [...dir.files.keys()].sort(byName)) {
      out.push({ path: join(name), isdir: false, size: dir.files.get(name) });
    }
    const subs = [...dir.dirs.keys()].sort(byName);
    if (leaf) { for (const name of subs) out.push({ path: join(name), isdir: true }); }
    else for (const name of subs) walk(dir.dirs.get(name)!, join(name), depth + 1);
  };
  walk(treeOf(listing), "", 0);
  return out;
}

function lsLocal(url: string, opts: LsUrlOptions): UrlEntry[] {
  const root = url.startsWith("file://") ? fileURLToPath(url) : resolve(opts.cwd, url);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(root);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw missing(url, `[Errno 2] No such file or directory: '${root}'`);
    }
    throw fsError(err, "reading", root);
  }
  // DVC names a single file by its full path
  if (opts.maxdepth === 0 || !info.isDirectory) return [{ path: root, isdir: false }];
  const out: UrlEntry[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (err) {
      throw fsError(err, "listing", dir);
    }
    const files: UrlEntry[] = [];
    const dirs: [UrlEntry, string][] = [];
    for (const e of entries) {
      const abs = `${dir}/${e.name}`;
      let st: Deno.FileInfo;
      try {
        st = Deno.statSync(abs);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue; // broken symlink
        throw fsError(err, "reading", abs);
      }
      const entry = { path: relative(root, abs), isdir: st.isDirectory, size: st.size };
      if (st.isDirectory) dirs.push([entry, abs]);
      else files.push(entry);
    }
    const leaf = !opts.recursive ||
      (opts.maxdepth !== undefined && depth >= opts.maxdepth - 1);
    for (const f of files) out.push(f); // no spread: a folder may hold 1M entries
    if (leaf) { for (const [e] of dirs) out.push(e); }
    else for (const [, abs] of dirs) walk(abs, depth + 1);
  };
  walk(root, 0);
  return out;
}

/** A node of `ls-url --tree` (DVC's `_ls_tree`): children sorted by name. */
export interface UrlTreeNode {
  name: string;
  isdir: boolean;
  size?: number;
  contents?: UrlTreeNode[];
}

/** DVC's `ls-url -T`: the URL as a tree, `maxdepth` levels deep (all without it). */
export async function lsUrlTree(url: string, opts: LsUrlOptions): Promise<UrlTreeNode> {
  const depthLeft = (d: number | undefined) => d === undefined || d > 0;
  const next = (d: number | undefined) => d === undefined ? undefined : d - 1;
  if (isLocal(url)) {
    const root = url.startsWith("file://") ? fileURLToPath(url) : resolve(opts.cwd, url);
    const node = (abs: string, name: string, depth: number | undefined): UrlTreeNode => {
      let st: Deno.FileInfo;
      try {
        st = Deno.statSync(abs);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound && abs === root) {
          throw new CairnError(
            `unexpected error - [Errno 2] No such file or directory: '${root}'`,
            { exitCode: ExitCode.other },
          );
        }
        throw fsError(err, "reading", abs);
      }
      const n: UrlTreeNode = { name, isdir: st.isDirectory, size: st.size };
      if (st.isDirectory && depthLeft(depth)) {
        let names: string[];
        try {
          names = [...Deno.readDirSync(abs)].map((e) => e.name).sort(byName);
        } catch (err) {
          throw fsError(err, "listing", abs);
        }
        n.contents = names.map((c) => node(`${abs}/${c}`, c, next(depth)));
      }
      return n;
    };
    return node(root, url.startsWith("file://") ? root : url, opts.maxdepth);
  }
  if (/^https?:\/\//i.test(url)) {
    const [e] = await lsHttp(url);
    return { name: e.path, isdir: false };
  }
  const listing = await remoteListing(url, opts);
  const name = remoteFileName(url.replace(/\/+$/, ""));
  if (listing === "file") return { name, isdir: false };
  const tree = treeOf(listing);
  const build = (d: Dir, label: string, depth: number | undefined): UrlTreeNode => {
    const n: UrlTreeNode = { name: label, isdir: true };
    if (!depthLeft(depth)) return n;
    const kids = [
      ...[...d.files].map((
        [k, size],
      ): [string, UrlTreeNode] => [k, { name: k, isdir: false, size }]),
      ...[...d.dirs].map(([k, sub]): [string, UrlTreeNode] => [k, build(sub, k, next(depth))]),
    ].sort((a, b) => byName(a[0], b[0]));
    n.contents = kids.map(([, v]) => v);
    return n;
  };
  return build(tree, name, opts.maxdepth);
}
