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
