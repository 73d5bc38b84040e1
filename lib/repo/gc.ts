/**
 * `gc`: remove cache objects not used by the workspace and the selected
 * revisions (spec §16). The run-cache is never collected. `.dir` objects are
 * removed before file objects, so an interrupted gc never leaves a listing
 * whose files are gone while the listing remains. Temp files of killed
 * cairn processes in the cache are removed too.
 */
import { CairnError, ignoreNotFound, UsageError } from "../errors.ts";
import { ObjectStore } from "../cache/object_store.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { removeStaleTemps } from "../fs/temp_files.ts";
import { checkInterrupted } from "../interrupt.ts";
import { type RevisionSelection, usedObjects } from "./used_objects.ts";
import type { Repo } from "./repo.ts";

export interface GcOptions extends RevisionSelection {
  /** only report what would be removed. */
  dryRun?: boolean;
  /** proceed even when a used `.dir` listing is missing locally. */
  force?: boolean;
}

export interface GcResult {
  removed: { md5: string; legacy: boolean }[];
  kept: number;
  dryRun: boolean;
}

export function hasScope(opts: GcOptions): boolean {
  return !!(opts.workspace || opts.allBranches || opts.allTags || opts.allCommits ||
    opts.allExperiments || (opts.revs && opts.revs.length));
}

/** Temp files of killed cairn processes anywhere in the cache (fan-out folders and roots). */
function removeStaleCacheTemps(store: ObjectStore): void {
  for (const root of [store.cacheDir, store.filesDir]) {
    removeStaleTemps(root);
    let prefixes: Deno.DirEntry[];
    try {
      prefixes = [...Deno.readDirSync(root)];
    } catch (err) {
      ignoreNotFound(err);
      continue;
    }
    for (const p of prefixes) {
      if (p.isDirectory && /^[0-9a-f]{2}$/.test(p.name)) removeStaleTemps(`${root}/${p.name}`);
    }
  }
}

export async function gc(repo: Repo, opts: GcOptions): Promise<GcResult> {
  if (!hasScope(opts)) {
    throw new UsageError(
      "Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` `--all-experiments`, `--all-commits`, `--date` or `--rev` needs to be set.",
    );
  }
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const store = new ObjectStore(repo.cacheDir);
    const used = usedObjects(repo, { ...opts, workspace: true, store });
    if (used.missingDirs.length && !opts.force) {
      throw new CairnError(
        `the listing of ${
          used.missingDirs.map((u) => [...u.paths][0]).join(", ")
        } is missing from the cache, ` +
          `so the objects it uses cannot be told apart from garbage`,
        { hint: "fetch it first, or run again with -f to collect anyway" },
      );
    }
    const keep = new Set([...used.objects.values()].map((u) => (u.legacy ? "L" : "") + u.md5));
    const garbage = [...store.list()].filter((o) => !keep.has((o.legacy ? "L" : "") + o.md5));
    garbage.sort((a, b) => Number(b.md5.endsWith(".dir")) - Number(a.md5.endsWith(".dir")));
    if (!opts.dryRun) {
      for (const o of garbage) {
        checkInterrupted();
        store.remove(o.md5, { legacy: o.legacy });
      }
      removeStaleCacheTemps(store);
    }
    return {
      removed: garbage.map((o) => ({ md5: o.md5, legacy: o.legacy })),
      kept: keep.size,
      dryRun: !!opts.dryRun,
    };
  } finally {
    lock.release();
  }
}
