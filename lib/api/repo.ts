/**
 * The library's repository handle and data verbs: thin, documented wrappers
 * over lib/repo with plain result types (mod.ts exports these).
 */
import { findRoot as findRootImpl, openRepo as openRepoImpl } from "../repo/repo.ts";
import type { Repo as RepoImpl } from "../repo/repo.ts";
import { init as initImpl } from "../repo/init.ts";
import { add as addImpl } from "../repo/add.ts";
import { checkout as checkoutImpl } from "../repo/checkout.ts";
import { commit as commitImpl } from "../repo/commit.ts";
import { dataStatus as dataStatusImpl } from "../repo/data_status.ts";

/** An open repository: pass it to every verb. Get one from `openRepo` or `init`. */
export interface Repo {
  /** absolute path of the directory holding `.dvc/`. */
  readonly root: string;
  /** absolute path of `.dvc/`. */
  readonly dvcDir: string;
  /** absolute cache directory (`cache.dir`, default `.dvc/cache`). */
  readonly cacheDir: string;
  /** the git work tree's top, or null for `--no-scm` repositories. */
  readonly scmRoot: string | null;
  /** the directory relative paths given to verbs are resolved against. */
  readonly cwd: string;
}

/** The internal handle behind a public `Repo` (openRepo returns the full object). */
export function impl(repo: Repo): RepoImpl {
  return repo as RepoImpl;
}

/** Options of `openRepo`. */
export interface OpenRepoOptions {
  /** the directory relative paths are resolved against (default `Deno.cwd()`). */
  cwd?: string;
}

/**
 * Open the repository containing `path` (default: the current directory).
 * Throws `NotARepoError` (exit code 253) outside a repository.
 *
 * @example Open a fresh repository
 * ```ts
 * import { init, openRepo } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * init(dir, { noScm: true });
 * const repo = openRepo(dir);
 * console.log(repo.root === Deno.realPathSync(dir) || repo.root === dir);
 * ```
 */
export function openRepo(path?: string, opts: OpenRepoOptions = {}): Repo {
  return openRepoImpl(path, opts);
}

/**
 * The nearest directory at or above `start` that has a `.dvc/` folder, or null.
 *
 * @example
 * ```ts
 * import { findRoot } from "@cairn/cairn";
 * console.log(findRoot("/") ?? "not in a repository");
 * ```
 */
export function findRoot(start: string): string | null {
  return findRootImpl(start);
}

/** Options of `init`. */
export interface InitOptions {
  /** no git: sets `core.no_scm` (DVC's `--no-scm`). */
  noScm?: boolean;
  /** re-initialize over an existing `.dvc/`. */
  force?: boolean;
  /** allow a repository inside another one's work tree (DVC's `--subdir`). */
  subdir?: boolean;
}

/** What `init` did. */
export interface InitResult {
  /** absolute path of the new repository's root. */
  root: string;
  /** files staged in git (empty with `noScm`). */
  staged: string[];
}

/**
 * `cairn init`: create `.dvc/` in `dir` (a git work tree unless `noScm`).
 *
 * @example
 * ```ts
 * import { init } from "@cairn/cairn";
 * const { root } = init(Deno.makeTempDirSync(), { noScm: true });
 * console.log(root);
 * ```
 */
export function init(dir: string, opts: InitOptions = {}): InitResult {
  return initImpl(dir, opts);
}

/** Options of `add`. */
export interface AddOptions {
  /** targets are glob patterns (relative to the repo's cwd). */
  glob?: boolean;
  /** store without putting the data into the cache (`--no-commit`). */
  noCommit?: boolean;
  /** add even over an overlapping output or a git-tracked file (`-f`). */
  force?: boolean;
  /** description written to the `.dvc` file. */
  desc?: string;
}

/** One target `add` tracked. */
export interface AddedData {
  /** repo-relative path of the data. */
  path: string;
  /** repo-relative path of the `.dvc` file written. */
  dvcFile: string;
  /** the content hash (a `.dir` hash for folders). */
  md5: string;
  /** file or folder. */
  kind: "file" | "dir";
}

/** What `add` did. */
export interface AddResult {
  /** the targets tracked. */
  added: AddedData[];
  /** files to `git add` (absolute paths): `.dvc` files and `.gitignore`s. */
  gitFiles: string[];
}

/**
 * `cairn add`: track files or folders (hash, cache, `.dvc` file, `.gitignore`).
 *
 * @example
 * ```ts
 * import { add, init, openRepo } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * init(dir, { noScm: true });
 * Deno.writeTextFileSync(`${dir}/data.csv`, "x,y\n1,2\n");
 * const r = await add(openRepo(dir, { cwd: dir }), ["data.csv"]);
 * console.log(r.added[0].dvcFile); // data.csv.dvc
 * ```
 */
export async function add(
  repo: Repo,
  targets: string[],
  opts: AddOptions = {},
): Promise<AddResult> {
  const r = await addImpl(impl(repo), targets, opts);
  return {
    added: r.added.map((a) => ({
      path: a.path,
      dvcFile: a.dvcFile,
      md5: a.hash.md5,
      kind: a.kind,
    })),
    gitFiles: r.gitFiles,
  };
}

/** Options of `checkout`. */
export interface CheckoutOptions {
  /** overwrite workspace changes without asking. */
  force?: boolean;
  /** targets are folders: everything under them. */
  recursive?: boolean;
  /** also the outputs of the targets' upstream stages. */
  withDeps?: boolean;
  /** skip outputs whose data is missing instead of failing. */
  allowMissing?: boolean;
}

/** What `checkout` changed in the workspace (repo-relative paths). */
export interface CheckoutResult {
  /** outputs that were absent. */
  added: string[];
  /** outputs that differed. */
  modified: string[];
  /** outputs removed. */
  deleted: string[];
  /** outputs that could not be checked out (data not in the cache). */
  failed: string[];
}

/**
 * `cairn checkout`: make the workspace match the `.dvc` files and `dvc.lock`.
 *
 * @example
 * ```ts ignore
 * import { checkout, openRepo } from "@cairn/cairn";
 * const r = await checkout(openRepo("."));
 * console.log(r.added, r.modified);
 * ```
 */
export async function checkout(
  repo: Repo,
  targets: string[] = [],
  opts: CheckoutOptions = {},
): Promise<CheckoutResult> {
  const r = await checkoutImpl(impl(repo), targets, opts);
  return { added: r.added, modified: r.modified, deleted: r.deleted, failed: r.failed };
}

/** Options of `commit`. */
export interface CommitOptions {
  /** commit even when the stage's deps changed. */
  force?: boolean;
  /** targets are folders. */
  recursive?: boolean;
  /** also the targets' upstream stages. */
  withDeps?: boolean;
}

/**
 * `cairn commit`: record the current workspace state of tracked data and
 * stage outputs (after editing them by hand). Returns the addresses committed.
 *
 * @example
 * ```ts ignore
 * import { commit, openRepo } from "@cairn/cairn";
 * console.log(await commit(openRepo("."), ["train"], { force: true }));
 * ```
 */
export async function commit(
  repo: Repo,
  targets: string[] = [],
  opts: CommitOptions = {},
): Promise<string[]> {
  return (await commitImpl(impl(repo), targets, opts)).committed;
}

/** Changed paths by kind. */
export interface ChangeLists {
  /** new paths. */
  added?: string[];
  /** changed paths. */
  modified?: string[];
  /** removed paths. */
  deleted?: string[];
  /** paths whose state cannot be told. */
  unknown?: string[];
}

/** `data status`: how tracked data differs between git, the workspace and the cache. */
export interface DataStatusResult {
  /** recorded (in `.dvc`/`dvc.lock`) but not committed to git. */
  committed: ChangeLists;
  /** workspace changes not recorded yet. */
  uncommitted: ChangeLists;
  /** recorded data missing from the cache. */
  notInCache: string[];
  /** unchanged outputs (with `withUnchanged`). */
  unchanged: string[];
  /** files git does not track (with `untrackedFiles`). */
  untracked: string[];
}

/** Options of `dataStatus`. */
export interface DataStatusOptions {
  /** list the files inside changed folders. */
  granular?: boolean;
  /** also list unchanged outputs. */
  withUnchanged?: boolean;
  /** also list files git does not track. */
  untrackedFiles?: boolean;
}

/**
 * `cairn data status`.
 *
 * @example
 * ```ts ignore
 * import { dataStatus, openRepo } from "@cairn/cairn";
 * const s = await dataStatus(openRepo("."));
 * console.log(s.uncommitted.modified ?? []);
 * ```
 */
export async function dataStatus(
  repo: Repo,
  opts: DataStatusOptions = {},
): Promise<DataStatusResult> {
  const r = await dataStatusImpl(impl(repo), opts);
  return {
    committed: r.committed,
    uncommitted: r.uncommitted,
    notInCache: r.notInCache,
    unchanged: r.unchanged,
    untracked: r.untracked,
  };
}
