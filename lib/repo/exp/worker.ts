/**
 * The local queue worker: takes queued experiments off
 * `refs/exps/celery/stash` (oldest first) and runs up to `jobs` of them at
 * once in this process (runQueuedExperiment: one temp worktree each). No
 * broker: requests from other cairn processes are files under
 * `.dvc/tmp/exps/` polled while running (`cairn-worker.stop`: start nothing
 * new, `kill` inside it: stop everything; `run/<rev>/kill`: stop that run).
 * A detached worker holds `cairn-worker.lock` (flock) while it lives.
 */
import { join } from "node:path";
import { CairnError, ignoreNotFound, InterruptedError, RepoLockedError } from "../../errors.ts";
import { acquireRepoLock, type RepoLock, tryAcquireRepoLock } from "../../fs/repo_lock.ts";
import type { Repo } from "../repo.ts";
import type { ReproOptions } from "../reproduce.ts";
import {
  CELERY_STASH,
  dropStash,
  execTmpDir,
  listQueued,
  lockQueue,
  type QueueEntry,
  runDir,
} from "./queue_store.ts";
import { cleanQueueState, runQueuedExperiment, type RunQueuedResult } from "./run_queued.ts";
import { exists, statOrNull } from "../../fs/stat_or_null.ts";
import { readFullSync } from "../../fs/read_full.ts";

export interface RunSink {
  /** event/output sinks for this run (e.g. writing its log file). */
  repro?: Partial<ReproOptions>;
  close?: () => void;
}

export interface WorkerOptions {
  /** experiments at once (default 1); read again on every turn when a function. */
  jobs?: number | (() => number);
  /** `--gpus N` for every run (default: each run's stored flag, else detection). */
  gpus?: number;
  /** stops every run (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
  /** where a run's events and output go. */
  sinkFor?: (entry: QueueEntry) => RunSink;
  onStart?: (entry: QueueEntry) => void;
  onDone?: (entry: QueueEntry, result: RunQueuedResult) => void;
  onFail?: (entry: QueueEntry, error: unknown) => void;
  /** poll interval for stop/kill requests and new entries (ms, default 100). */
  pollMs?: number;
  /** keep polling for new entries until stopped (a detached worker exits when idle). */
  stayIdle?: boolean;
}

export interface WorkerResult {
  succeeded: { entry: QueueEntry; result: RunQueuedResult }[];
  failed: { entry: QueueEntry; error: unknown }[];
  interrupted: boolean;
}

export function workerLockPath(repo: Repo): string {
  return join(execTmpDir(repo), "cairn-worker.lock");
}

export function stopRequestPath(repo: Repo): string {
  return join(execTmpDir(repo), "cairn-worker.stop");
}

export function killRequestPath(repo: Repo, stashRev: string): string {
  return join(runDir(repo, stashRev), "kill");
}

/** The detached worker's stderr and the errors it records (appended). */
export function workerLogPath(repo: Repo): string {
  return join(execTmpDir(repo), "cairn-worker.log");
}

/** A detached worker that exited with an error, or never came up, before serving the queue. */
export class WorkerStartError extends CairnError {}

/** The last lines of what the log got from byte `from` on (this start's; at most its last 64 KiB read). */
function logSince(path: string, from: number): string {
  const size = statOrNull(path)?.size ?? 0;
  const start = Math.max(from, size - (64 << 10));
  if (size <= start) return "";
  const buf = new Uint8Array(size - start);
  let n: number;
  try {
    n = readFullSync(path, buf, start);
  } catch (err) {
    ignoreNotFound(err);
    return "";
  }
  const text = new TextDecoder().decode(buf.subarray(0, n));
  return text.trimEnd().split("\n").slice(-8).join("\n").trim();
}

/**
 * Start `command` (a `queue _worker` process) detached, its stderr appended to
 * workerLogPath, and wait until it holds the worker lock. A worker that exits
 * with an error first, or is not up within `timeoutMs`, is a WorkerStartError
 * carrying what it wrote (before: "Started" was printed either way, and its
 * stderr went nowhere). One that exits cleanly first (it found nothing to do)
 * is fine.
 */
export async function startDetachedWorker(
  repo: Repo,
  command: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const log = workerLogPath(repo);
  Deno.mkdirSync(execTmpDir(repo), { recursive: true });
  const from = statOrNull(log)?.size ?? 0;
  const child = new Deno.Command("sh", {
    // sh only to point the worker's stderr at the log (Deno.Command takes no file)
    args: ["-c", 'exec "$@" 2>>"$CAIRN_WORKER_LOG"', "sh", ...command],
    env: { CAIRN_WORKER_LOG: log },
    cwd: repo.root,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  let exit: Deno.CommandStatus | undefined;
  child.status.then((s) => (exit = s));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (!workerAlive(repo)) {
    if (exit?.success) return;
    const why = exit
      ? `it exited with code ${exit.code}`
      : Date.now() > deadline
      ? `it did not take the queue within ${
        timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`
      }`
      : undefined;
    if (why) {
      const said = logSince(log, from);
      throw new WorkerStartError(
        `the experiments queue worker did not start: ${why}${said ? `:\n${said}` : ""}`,
        { hint: `its log: ${log}` },
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One try at the detached worker's lock: null while a worker (or a probe) holds it. */
export function lockWorker(repo: Repo): RepoLock | null {
  Deno.mkdirSync(execTmpDir(repo), { recursive: true });
  return tryAcquireRepoLock(workerLockPath(repo));
}

/**
 * The lock a starting worker takes, or null when a worker runs already. It retries
 * for a while: `queue start` and `queue status` probe the lock by taking it for a
 * moment (workerAlive), and a worker starting in that moment must not take the
 * probe for a worker and quietly exit, leaving the queue unserved.
 */
export async function takeWorkerLock(repo: Repo): Promise<RepoLock | null> {
  Deno.mkdirSync(execTmpDir(repo), { recursive: true });
  try {
    return await acquireRepoLock(workerLockPath(repo), { retryDelayMs: 10 });
  } catch (err) {
    if (err instanceof RepoLockedError) return null;
    throw err;
  }
}

/** True while a detached worker runs (takes the lock for a moment when none does). */
export function workerAlive(repo: Repo): boolean {
  const lock = lockWorker(repo);
  if (!lock) return true;
  lock.release();
  return false;
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    ignoreNotFound(err);
    return undefined;
  }
}

/** Take the oldest queued experiment off the queue (undefined when empty). */
export async function popQueued(repo: Repo): Promise<QueueEntry | undefined> {
  const lock = await lockQueue(repo);
  try {
    const queued = listQueued(repo);
    const next = queued[0];
    if (next) dropStash(repo, CELERY_STASH, [next.index], queued.length);
    return next;
  } finally {
    lock.release();
  }
}

/** Run the queue until it is empty (or stopped). */
export async function runQueue(repo: Repo, opts: WorkerOptions = {}): Promise<WorkerResult> {
  const jobs = () => Math.max(1, typeof opts.jobs === "function" ? opts.jobs() : opts.jobs ?? 1);
  const pollMs = opts.pollMs ?? 100;
  const result: WorkerResult = { succeeded: [], failed: [], interrupted: false };
  const running = new Map<string, { ctrl: AbortController; done: Promise<void> }>();
  let stopping = false;
  let killAll = false;
  // worktrees of runs whose process died (SIGKILL, power loss) go first
  cleanQueueState(repo);

  const start = (entry: QueueEntry) => {
    const ctrl = new AbortController();
    const signals = [ctrl.signal, ...(opts.signal ? [opts.signal] : [])];
    const sink = opts.sinkFor?.(entry) ?? {};
    opts.onStart?.(entry);
    const done = runQueuedExperiment(repo, entry, {
      repro: {
        ...sink.repro,
        ...(opts.gpus === undefined ? {} : { gpus: opts.gpus }),
        signal: AbortSignal.any(signals),
      },
    }).then(
      (r) => {
        result.succeeded.push({ entry, result: r });
        opts.onDone?.(entry, r);
      },
      (error) => {
        result.failed.push({ entry, error });
        opts.onFail?.(entry, error);
      },
    ).finally(() => {
      sink.close?.();
      running.delete(entry.stashRev);
    });
    running.set(entry.stashRev, { ctrl, done });
  };

  for (;;) {
    if (opts.signal?.aborted) {
      result.interrupted = true;
      break;
    }
    const stop = readText(stopRequestPath(repo));
    if (stop !== undefined) {
      stopping = true;
      if (stop.trim() === "kill") killAll = true;
    }
    for (const [rev, r] of running) {
      if (killAll || exists(killRequestPath(repo, rev))) r.ctrl.abort(new InterruptedError());
    }
    let empty = false;
    while (!stopping && running.size < jobs()) {
      const entry = await popQueued(repo);
      if (!entry) {
        empty = true;
        break;
      }
      start(entry);
    }
    if (!running.size && (stopping || (empty && !opts.stayIdle))) break;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      ...[...running.values()].map((r) => r.done),
      new Promise<void>((res) => (timer = setTimeout(res, pollMs))),
    ]);
    clearTimeout(timer);
  }
  await Promise.allSettled([...running.values()].map((r) => r.done));
  return result;
}
