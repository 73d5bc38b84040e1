/** `update TARGET.dvc`: move an import (repo or URL) to its source's current state. */
import { basename, isAbsolute, join, resolve } from "node:path";
import { makeTempDirNear } from "../fs/temp_files.ts";
import { CairnError } from "../errors.ts";
import { commitOutput } from "../cache/checkout.ts";
import { computeStageMd5, loadDvcFile, saveDvcFile } from "../dvcfile/dvc_file.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import type { Dependency, HashInfo, Stage } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { collectStages, invalidateIndex, isInside, stagePath } from "./collect.ts";
import { isDir, type Repo, repoRelative } from "./repo.ts";
import {
  depCwd,
  hashOnly,
  locate,
  materialize,
  openSource,
  pathExists,
  removePath,
  repoDep,
} from "./_import_source.ts";
import { importStage, outputEntry } from "./_import_stage.ts";
import { downloadUrl, isRemoteUrl, isUrlImport } from "./_url_source.ts";

export interface UpdateOptions {
  rev?: string;
  noDownload?: boolean;
  recursive?: boolean;
}

export interface UpdatedImport {
  dvcFile: string;
  /** false when the lock did not move and the data was already there. */
  changed: boolean;
  revLock?: string;
}

function updateTargets(repo: Repo, targets: string[], recursive?: boolean): Stage[] {
  const stages: Stage[] = [];
  const all = collectStages(repo).stages;
  for (const t of targets) {
    const rel = repoRelative(repo, resolve(repo.cwd, t.replace(/\/+$/, "") || "."));
    if (recursive && (rel === "" || isDir(join(repo.root, rel)))) {
      stages.push(
        ...all.filter((s) => s.kind === "dvcfile" && (rel === "" || isInside(s.file, rel))),
      );
      continue;
    }
    const file = rel.endsWith(".dvc") ? rel : `${rel}.dvc`;
    if (!pathExists(join(repo.root, file))) {
      throw new CairnError(`'${t}' does not exist`, { hint: "give the import's .dvc file" });
    }
    stages.push(loadDvcFile(repo.root, file));
  }
  return stages.filter((s, i) => stages.findIndex((x) => x.file === s.file) === i);
}

/** `update TARGET.dvc`: re-resolve the import's revision; re-download if it moved. */
export async function update(
  repo: Repo,
  targets: string[],
  opts: UpdateOptions = {},
): Promise<UpdatedImport[]> {
  const stages = updateTargets(repo, targets, opts.recursive);
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const out: UpdatedImport[] = [];
    for (const stage of stages) {
      const dep = repoDep(stage);
      if (!dep && isUrlImport(stage) && stage.frozen) {
        out.push(await updateUrl(repo, stage, opts));
        continue;
      }
      if (!dep) {
        if (opts.recursive) continue;
        throw new CairnError(`'${stage.file}' is not an import`, {
          hint: "update works on .dvc files written by 'cairn import'",
        });
      }
      if (stage.outs.length !== 1) throw new CairnError(`'${stage.file}' has no single output`);
      const rev = opts.rev ?? dep.repo!.rev;
      const src = openSource(dep.repo!.url, depCwd(repo, stage), {
        rev,
        remote: dep.repo!.remote,
      });
      try {
        const abs = join(repo.root, stagePath(stage, stage.outs[0].path));
        const moved = src.revLock !== dep.repo!.revLock;
        const item = locate(src, dep.path);
        let hash: HashInfo;
        if (opts.noDownload) {
          hash = await hashOnly(src, item);
        } else if (!moved && stage.outs[0].hash && pathExists(abs)) {
          out.push({ dvcFile: stage.file, changed: false, revLock: src.revLock });
          continue;
        } else {
          hash = await materialize(src, item, abs, cacheContext(repo), { commit: true });
        }
        const newDep: Dependency = {
          ...dep,
          repo: { ...dep.repo!, ...(rev !== undefined ? { rev } : {}), revLock: src.revLock },
        };
        const next = importStage(stage.file, newDep, {
          ...stage.outs[0],
          hash: outputEntry("", hash).hash,
        });
        next.desc = stage.desc;
        next.meta = stage.meta;
        next.wdir = stage.wdir;
        next.md5 = computeStageMd5(next);
        saveDvcFile(repo.root, next);
        out.push({ dvcFile: stage.file, changed: true, revLock: src.revLock });
      } finally {
        src.cleanup();
      }
    }
    invalidateIndex(repo);
    return out;
  } finally {
    lock.release();
  }
}

/** `update` of an import-url stage: re-check the source; re-download when it changed. */
async function updateUrl(repo: Repo, stage: Stage, opts: UpdateOptions): Promise<UpdatedImport> {
  const dep = stage.deps[0];
  const url = isRemoteUrl(dep.path) || isAbsolute(dep.path)
    ? dep.path
    : join(repo.root, stage.wdir, dep.path);
  const abs = join(repo.root, stagePath(stage, stage.outs[0].path));
  const stagingDir = makeTempDirNear(abs);
  try {
    const staged = join(stagingDir, basename(abs));
    const fsConfig = dep.extra?.fs_config as Record<string, string> | undefined;
    const src = await downloadUrl(url, repo.root, staged, fsConfig);
    const { fs_config: _, ...oldExtra } = dep.extra ?? {};
    const same = src.hash.md5 === dep.hash?.md5 &&
      JSON.stringify(src.extra ?? {}) === JSON.stringify(oldExtra);
    if (same && stage.outs[0].hash && pathExists(abs)) {
      return { dvcFile: stage.file, changed: false };
    }
    let hash = src.hash;
    if (!opts.noDownload) {
      const ctx = cacheContext(repo);
      hash = (await commitOutput({ ...ctx, ignore: undefined, state: undefined }, staged)).hash;
      removePath(abs);
      Deno.renameSync(staged, abs);
    }
    const next: Stage = {
      ...stage,
      frozen: true,
      deps: [{
        ...dep,
        hash: { ...src.hash },
        extra: { ...oldExtra, ...src.extra, ...(fsConfig ? { fs_config: fsConfig } : {}) },
      }],
      outs: [{ ...stage.outs[0], hash: { ...hash } }],
    };
    next.md5 = computeStageMd5(next);
    saveDvcFile(repo.root, next);
    return { dvcFile: stage.file, changed: true };
  } finally {
    removePath(stagingDir);
  }
}
