/**
 * A running queued/temp experiment holds an flock on
 * `.dvc/tmp/exps/run/<rev>/cairn.lock` for its whole life: when the lock can
 * be taken, whoever ran it is gone (finished, killed or crashed), so no pid
 * file can go stale.
 */
import { join } from "node:path";
import { type RepoLock, tryAcquireRepoLock } from "../../fs/repo_lock.ts";
import type { Repo } from "../repo.ts";
import { runDir } from "./queue_store.ts";

export function runLockPath(repo: Repo, stashRev: string): string {
  return join(runDir(repo, stashRev), "cairn.lock");
}

/** Take the run's lock (null when another process runs it). */
export function lockRun(repo: Repo, stashRev: string): RepoLock | null {
  Deno.mkdirSync(runDir(repo, stashRev), { recursive: true });
  return tryAcquireRepoLock(runLockPath(repo, stashRev));
}

/** True while some process holds the run's lock. */
export function runIsAlive(repo: Repo, stashRev: string): boolean {
  let lock: RepoLock | null;
  try {
    lock = tryAcquireRepoLock(runLockPath(repo, stashRev));
  } catch {
    // a probe: a lock file that cannot even be opened (run folder removed under us,
    // read-only .dvc/tmp) is held by no process we could see
    return false;
  }
  if (!lock) return true;
  lock.release();
  return false;
}
