/**
 * `cache migrate`: DVC 2.x objects (`<cache>/xx/...`, md5 of the dos2unix'd
 * content) re-hashed with plain md5 and added to the DVC 3 cache
 * (`files/md5/`), hard-linked where possible, as DVC's `migrate_2_to_3`.
 * `.dir` objects move as they are (their entries keep the 2.x hashes, which
 * DVC 3 also reads through the legacy cache left in place).
 */
import { ObjectStore } from "../cache/object_store.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { md5File } from "../hash/md5.ts";
import type { Repo } from "./repo.ts";

/** What `cache migrate` found and did. */
export interface CacheMigrateResult {
  /** legacy objects found. */
  found: number;
  /** objects added to the DVC 3 cache (already present ones are not counted). */
  migrated: number;
}

export async function migrateCache(
  repo: Repo,
  opts: { dry?: boolean } = {},
): Promise<CacheMigrateResult> {
  const store = new ObjectStore(repo.cacheDir);
  const legacy = [...store.list({ legacy: true })];
  if (opts.dry) return { found: legacy.length, migrated: 0 };
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    let migrated = 0;
    for (const o of legacy) {
      const md5 = md5File(o.path) + (o.md5.endsWith(".dir") ? ".dir" : "");
      if (store.addFile(o.path, md5, { hardlink: true }).added) migrated++;
    }
    return { found: legacy.length, migrated };
  } finally {
    lock.release();
  }
}

/** What `cache migrate --dvc-files` found (dry) or rewrote. */
export interface DvcFilesMigrateResult {
  /** stage files with 2.x (md5-dos2unix) entries, repo-relative, sorted. */
  files: string[];
  /** what DVC prints per stage, in order: "Updating DVC file 'x.dvc'", "Updating lock file 'dvc.lock'". */
  messages: string[];
  /** every file rewritten (.dvc files and lock files), for the git hint. */
  changed: string[];
}

function isLegacy(h: { md5: string; hashName?: string } | undefined): boolean {
  return !!h && h.hashName === undefined;
}

/**
 * `cache migrate --dvc-files` (DVC's `commit_2_to_3`): every stage with a
 * 2.x entry (an output, or an in-repo dep of a non-import stage, without
 * `hash: md5`) is committed again with plain md5 hashes, so its `.dvc` file or
 * `dvc.lock` entry gets DVC 3's format and the objects go to `files/md5/`.
 */
export async function migrateDvcFiles(
  repo: Repo,
  opts: { dry?: boolean } = {},
): Promise<DvcFilesMigrateResult> {
  const { collectStages } = await import("./collect.ts");
  const { stageAddress } = await import("../stage/types.ts");
  const stages = collectStages(repo).stages.filter((s) => {
    const isImport = s.kind === "dvcfile" && s.cmd === undefined && s.deps.length > 0;
    return s.outs.some((o) => isLegacy(o.hash)) ||
      (!isImport && s.deps.some((d) => !d.repo && isLegacy(d.hash)));
  });
  const files = [
    ...new Set(
      stages.map((s) => s.kind === "pipeline" ? s.file.replace(/\.yaml$/, ".lock") : s.file),
    ),
  ].sort();
  const result: DvcFilesMigrateResult = { files, messages: [], changed: [] };
  if (opts.dry || !stages.length) return result;
  const { commit } = await import("./commit.ts");
  for (const s of stages) {
    const r = await commit(repo, [stageAddress(s)], { force: true });
    if (s.kind === "dvcfile") {
      result.messages.push(`Updating DVC file '${s.file}'`);
      result.changed.push(s.file);
    }
    for (const u of r.lockUpdates) {
      result.messages.push(`${u.generated ? "Generating" : "Updating"} lock file '${u.file}'`);
      if (!result.changed.includes(u.file)) result.changed.push(u.file);
    }
  }
  return result;
}
