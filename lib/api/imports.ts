/**
 * Data from other repositories and URLs for library users: import (tracked,
 * pinned), get (download only) and update, as thin wrappers over lib/repo.
 */
import { impl, type Repo } from "./repo.ts";
import { importRepo as importRepoImpl } from "../repo/import.ts";
import { importUrl as importUrlImpl } from "../repo/import_url.ts";
import { get as getImpl } from "../repo/get.ts";
import { getUrl as getUrlImpl } from "../repo/get_url.ts";
import { update as updateImpl } from "../repo/update.ts";

/** Options of `importRepo`. */
export interface ImportOptions {
  /** output path (relative to the repo's cwd; default the source path's last part). */
  out?: string;
  /** the source repository's revision (default its default branch). */
  rev?: string;
  /** the source repository's remote to download DVC-tracked data from. */
  remote?: string;
  /** overwrite an existing output. */
  force?: boolean;
}

/** What an import wrote. */
export interface ImportedData {
  /** repo-relative path of the data. */
  path: string;
  /** repo-relative `.dvc` file recording where it came from. */
  dvcFile: string;
  /** the source commit it is pinned to (repository imports). */
  revLock?: string;
  /** files to `git add` (absolute). */
  gitFiles: string[];
}

/**
 * `cairn import URL PATH`: bring `path` of the git/DVC repository at `url`
 * into this one, pinned to the source's commit (`rev_lock`).
 *
 * @example
 * ```ts ignore
 * import { importRepo, openRepo } from "@cairn/cairn";
 * const r = await importRepo(openRepo("."), "https://github.com/org/data-registry", "images", {
 *   out: "data/images",
 * });
 * console.log(r.dvcFile, r.revLock);
 * ```
 */
export async function importRepo(
  repo: Repo,
  url: string,
  path: string,
  opts: ImportOptions = {},
): Promise<ImportedData> {
  const r = await importRepoImpl(impl(repo), { url, path }, opts);
  return {
    path: r.path,
    dvcFile: r.dvcFile,
    ...(r.revLock ? { revLock: r.revLock } : {}),
    gitFiles: r.gitFiles,
  };
}

/**
 * `cairn import-url URL`: track a file or folder at a URL (local path,
 * `s3://`, `ssh://`, `http(s)://`, ...) as a stage with that URL as its dep.
 *
 * @example
 * ```ts ignore
 * import { importUrl, openRepo } from "@cairn/cairn";
 * await importUrl(openRepo("."), "https://example.com/points.csv", { out: "data/points.csv" });
 * ```
 */
export async function importUrl(
  repo: Repo,
  url: string,
  opts: { out?: string; force?: boolean } = {},
): Promise<ImportedData> {
  const r = await importUrlImpl(impl(repo), url, opts);
  return { path: r.path, dvcFile: r.dvcFile, gitFiles: r.gitFiles };
}

/**
 * `cairn get URL PATH`: download `path` of another repository; nothing is
 * tracked. Returns the absolute path written.
 *
 * @example
 * ```ts ignore
 * import { get } from "@cairn/cairn";
 * console.log(await get(".", "https://github.com/org/data-registry", "images"));
 * ```
 */
export function get(
  cwd: string,
  url: string,
  path: string,
  opts: { out?: string; rev?: string; force?: boolean; remote?: string } = {},
): Promise<string> {
  return getImpl(cwd, { url, path }, opts);
}

/**
 * `cairn get-url URL`: download a file or folder from a URL; nothing is
 * tracked. Returns the absolute path written.
 *
 * @example
 * ```ts ignore
 * import { getUrl } from "@cairn/cairn";
 * await getUrl(".", "https://example.com/points.csv", { out: "points.csv" });
 * ```
 */
export function getUrl(
  cwd: string,
  url: string,
  opts: { out?: string; force?: boolean } = {},
): Promise<string> {
  return getUrlImpl(cwd, url, opts);
}

/** One import `update` looked at. */
export interface UpdatedImport {
  /** its `.dvc` file. */
  dvcFile: string;
  /** false when the source did not move and the data was there. */
  changed: boolean;
  /** the new pinned commit (repository imports). */
  revLock?: string;
}

/**
 * `cairn update`: move imports to their source's current revision (or `rev`),
 * downloading what changed.
 *
 * @example
 * ```ts ignore
 * import { openRepo, update } from "@cairn/cairn";
 * for (const u of await update(openRepo("."), ["data/images.dvc"])) console.log(u.changed);
 * ```
 */
export async function update(
  repo: Repo,
  targets: string[],
  opts: { rev?: string; recursive?: boolean } = {},
): Promise<UpdatedImport[]> {
  return (await updateImpl(impl(repo), targets, opts)).map((u) => ({
    dvcFile: u.dvcFile,
    changed: u.changed,
    ...(u.revLock ? { revLock: u.revLock } : {}),
  }));
}
