/** `import URL PATH` (dvc-spec §17): a frozen `.dvc` stage tracking a path of another repository. */
import { basename, dirname, isAbsolute, join, relative } from "node:path";
import { saveDvcFile } from "../dvcfile/dvc_file.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { ignoreInGit } from "../scm/gitignore.ts";
import type { Dependency, HashInfo } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { invalidateIndex } from "./collect.ts";
import type { Repo } from "./repo.ts";
import {
  hashOnly,
  localPathOf,
  locate,
  materialize,
  normPath,
  openSource,
  removePath,
} from "./_import_source.ts";
import {
  finishGit,
  type ImportResult,
  importStage,
  outputEntry,
  planOut,
} from "./_import_stage.ts";

export interface ImportOptions {
  /** `-o`: output path (relative to cwd). */
  out?: string;
  rev?: string;
  /** write the .dvc file only (no rev_lock, no hashes, no data). */
  noExec?: boolean;
  /** record rev_lock and hashes, download nothing. */
  noDownload?: boolean;
  /** overwrite an existing output. */
  force?: boolean;
  /** `--remote NAME`: the source repo's remote to download DVC data from. */
  remote?: string;
}

/** `import URL PATH`: a frozen `.dvc` stage whose dep is `PATH` of the repo at URL. */
export async function importRepo(
  repo: Repo,
  source: { url: string; path: string },
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const { abs, rel } = planOut(repo, opts.out ?? basename(normPath(source.path)), opts.force);
    const dvcFile = `${rel}.dvc`;
    // A relative local URL is stored relative to the .dvc file's directory, where
    // update/fetch resolve it (the same text when run from that directory).
    const local = localPathOf(source.url, repo.cwd);
    const url = local && !isAbsolute(source.url) && !source.url.startsWith("file:")
      ? relative(dirname(join(repo.root, dvcFile)), local) || "."
      : source.url;
    const dep: Dependency = { path: source.path, repo: { url } };
    if (opts.rev !== undefined) dep.repo!.rev = opts.rev;
    if (opts.remote !== undefined) dep.repo!.remote = opts.remote;
    let hash: HashInfo | undefined;
    if (!opts.noExec) {
      const src = openSource(source.url, repo.cwd, { rev: opts.rev, remote: opts.remote });
      try {
        const item = locate(src, source.path);
        dep.repo!.revLock = src.revLock;
        if (opts.noDownload) {
          hash = await hashOnly(src, item);
        } else {
          Deno.mkdirSync(dirname(abs), { recursive: true });
          hash = await materialize(src, item, abs, cacheContext(repo), { commit: true });
        }
      } finally {
        src.cleanup();
      }
    }
    const stage = importStage(dvcFile, dep, outputEntry(basename(rel), hash));
    removePath(join(repo.root, dvcFile)); // a forced re-import starts a fresh file
    saveDvcFile(repo.root, stage);
    invalidateIndex(repo);
    const files = [join(repo.root, dvcFile)];
    if (repo.scmRoot) {
      const gi = ignoreInGit(abs, { scmRoot: repo.scmRoot });
      if (gi) files.push(gi);
    }
    return { path: rel, dvcFile, revLock: dep.repo!.revLock, hash, ...finishGit(repo, files) };
  } finally {
    lock.release();
  }
}
