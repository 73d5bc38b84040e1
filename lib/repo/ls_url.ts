/**
 * `ls-url` / `list-url` for local paths and `file://` URLs (DVC's
 * `Repo.ls_url`): a directory's entries in the file system's order (files,
 * then directories), or every file below it with `recursive`.
 */
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CairnError, ExitCode, fsError, UsageError } from "../errors.ts";

/** One entry as DVC lists it. */
export interface UrlEntry {
  /** path relative to the listed directory (or the URL itself for a file). */
  path: string;
  isdir: boolean;
  size?: number;
}

function localPath(url: string, cwd: string): string {
  if (url.startsWith("file://")) return fileURLToPath(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new UsageError(
      `ls-url supports local paths and file:// URLs; '${url}' is not one`,
      "list remote storage with the tool of its service",
    );
  }
  return resolve(cwd, url);
}

/** DVC's `ls_url`: `maxdepth` limits the recursion (0: the URL itself). */
export function lsUrl(
  url: string,
  opts: { cwd: string; recursive?: boolean; maxdepth?: number },
): UrlEntry[] {
  const root = localPath(url, opts.cwd);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(root);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CairnError(
        `The path '${url}' does not exist: [Errno 2] No such file or directory: '${root}'`,
        { exitCode: ExitCode.other },
      );
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
    out.push(...files);
    if (leaf) out.push(...dirs.map(([e]) => e));
    else for (const [, abs] of dirs) walk(abs, depth + 1);
  };
  walk(root, 0);
  return out;
}
