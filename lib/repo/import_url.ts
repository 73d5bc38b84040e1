/** `import-url URL [OUT]`: a frozen `.dvc` stage whose dep is the URL and its checksum. */
import { basename, dirname, join, relative } from "node:path";
import { makeTempDirNear } from "../fs/temp_files.ts";
import { commitOutput } from "../cache/checkout.ts";
import { saveDvcFile } from "../dvcfile/dvc_file.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { ignoreInGit } from "../scm/gitignore.ts";
import type { Dependency, HashInfo } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { invalidateIndex, isInside } from "./collect.ts";
import type { Repo } from "./repo.ts";
import { removePath } from "./_import_source.ts";
import {
  finishGit,
  type ImportResult,
  importStage,
  outputEntry,
  planOut,
} from "./_import_stage.ts";
import { downloadUrl, isRemoteUrl, localUrlPath, type UrlSource } from "./_url_source.ts";

export interface ImportUrlOptions {
  /** output path (relative to cwd; default: the URL's last part). */
  out?: string;
  /** `--fs-config k=v`: settings of the URL's filesystem (as a remote's config keys). */
  fsConfig?: Record<string, string>;
  noExec?: boolean;
  /** record the source checksum, download nothing. */
  noDownload?: boolean;
  force?: boolean;
}

function urlDep(
  repo: Repo,
  url: string,
  dvcFile: string,
  src?: UrlSource,
  fsConfig?: Record<string, string>,
): Dependency {
  let path = url;
  if (!isRemoteUrl(url)) {
    // A source inside the repo is stored relative to the .dvc file.
    const abs = localUrlPath(url, repo.cwd);
    if (isInside(abs, repo.root)) path = relative(dirname(join(repo.root, dvcFile)), abs);
  }
  const dep: Dependency = { path };
  if (src) {
    dep.hash = { ...src.hash };
    if (src.extra) dep.extra = src.extra;
  }
  if (fsConfig && Object.keys(fsConfig).length) dep.extra = { ...dep.extra, fs_config: fsConfig };
  return dep;
}

/** `import-url URL [OUT]`: a frozen `.dvc` stage whose dep is the URL and its checksum. */
export async function importUrl(
  repo: Repo,
  url: string,
  opts: ImportUrlOptions = {},
): Promise<ImportResult> {
  const out = opts.out;
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const name = basename(url.replace(/\/+$/, "").replace(/^file:\/\//, ""));
    const { abs, rel } = planOut(repo, out ?? name, opts.force);
    const dvcFile = `${rel}.dvc`;
    let src: UrlSource | undefined;
    let hash: HashInfo | undefined;
    if (!opts.noExec) {
      Deno.mkdirSync(dirname(abs), { recursive: true });
      const stagingDir = makeTempDirNear(abs);
      try {
        const staged = join(stagingDir, basename(abs));
        src = await downloadUrl(url, repo.cwd, staged, opts.fsConfig);
        if (opts.noDownload) hash = src.hash;
        else {
          const ctx = cacheContext(repo);
          hash = (await commitOutput({ ...ctx, ignore: undefined, state: undefined }, staged)).hash;
          removePath(abs);
          Deno.renameSync(staged, abs);
        }
      } finally {
        removePath(stagingDir);
      }
    }
    const dep = urlDep(repo, url, dvcFile, src, opts.fsConfig);
    const stage = importStage(dvcFile, dep, outputEntry(basename(rel), hash));
    removePath(join(repo.root, dvcFile));
    saveDvcFile(repo.root, stage);
    invalidateIndex(repo);
    const files = [join(repo.root, dvcFile)];
    if (repo.scmRoot) {
      const gi = ignoreInGit(abs, { scmRoot: repo.scmRoot });
      if (gi) files.push(gi);
    }
    return { path: rel, dvcFile, hash, ...finishGit(repo, files) };
  } finally {
    lock.release();
  }
}
