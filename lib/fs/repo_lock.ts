/**
 * The repository lock `.dvc/tmp/lock`, compatible with DVC 3 (dvc/lock.py,
 * zc.lockfile backend): an exclusive non-blocking flock() on the file, which
 * then holds " <pid>\n". The file is left in place on release, as DVC does.
 * A second writer retries for a bounded time (DVC: ~3 s) and then fails
 * with RepoLockedError, so two writers never interleave.
 */
import { fsError, RepoLockedError } from "../errors.ts";
import { forgetSweeps } from "./temp_files.ts";

/** DVC's DEFAULT_TIMEOUT (seconds) for acquiring the lock. */
export const LOCK_TIMEOUT_MS = 3000;
const RETRY_DELAY_MS = 100;

export function repoLockPath(dvcDir: string): string {
  return `${dvcDir}/tmp/lock`;
}

export interface RepoLock {
  readonly path: string;
  /** Release the lock (idempotent). */
  release(): void;
  [Symbol.dispose](): void;
}

export interface RepoLockOptions {
  /** how long to keep retrying (default 3000 ms; 0 = a single try) */
  timeoutMs?: number;
  retryDelayMs?: number;
}

/** One attempt: the lock, or null if another process (or handle) holds it. */
export function tryAcquireRepoLock(lockPath: string): RepoLock | null {
  const dir = lockPath.slice(0, lockPath.lastIndexOf("/"));
  let file: Deno.FsFile;
  try {
    if (dir) Deno.mkdirSync(dir, { recursive: true });
    // No truncation before we own it: the holder's pid must stay readable.
    file = Deno.openSync(lockPath, { read: true, write: true, create: true });
  } catch (err) {
    throw fsError(err, "opening lock file", lockPath);
  }
  let locked = false;
  try {
    locked = file.tryLockSync(true);
  } catch {
    locked = false;
  }
  if (!locked) {
    file.close();
    return null;
  }
  forgetSweeps(); // a new operation: look for temps of killed processes again
  try {
    // zc.lockfile's content: " {pid}\n"
    const text = new TextEncoder().encode(` ${Deno.pid}\n`);
    file.seekSync(0, Deno.SeekMode.Start);
    file.writeSync(text);
    file.truncateSync(text.length);
  } catch { /* the lock itself is what counts */ }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    try {
      file.unlockSync();
    } catch { /* closing unlocks too */ }
    file.close();
  };
  return { path: lockPath, release, [Symbol.dispose]: release };
}

/**
 * Take the lock at `lockPath` (see repoLockPath), retrying until the timeout.
 * Throws RepoLockedError if it stays held.
 */
export async function acquireRepoLock(
  lockPath: string,
  opts: RepoLockOptions = {},
): Promise<RepoLock> {
  const timeout = opts.timeoutMs ?? LOCK_TIMEOUT_MS;
  const delay = opts.retryDelayMs ?? RETRY_DELAY_MS;
  const deadline = performance.now() + timeout;
  for (;;) {
    const lock = tryAcquireRepoLock(lockPath);
    if (lock) return lock;
    const left = deadline - performance.now();
    if (left <= 0) throw new RepoLockedError(lockPath);
    await new Promise((r) => setTimeout(r, Math.min(delay, left)));
  }
}

/** The pid written by the current holder, if readable (for messages). */
export function lockHolderPid(lockPath: string): number | undefined {
  try {
    const n = parseInt(Deno.readTextFileSync(lockPath).trim(), 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
