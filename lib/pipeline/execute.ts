/**
 * Runs a planned DAG of jobs, `jobs` at a time (DVC runs one at a time; its
 * issue #755). A job starts once every job it depends on has finished; with
 * jobs = 1 the plan order is kept exactly (DVC's `_reproduce`). On failure:
 * "fail" starts nothing new (running jobs finish), "keep-going" skips the
 * failed job's descendants and finishes the rest, "ignore" goes on with
 * everything. Abort (Ctrl-C) starts nothing new and waits for the running
 * jobs, which are expected to stop on the same signal.
 */
import { InterruptedError } from "../errors.ts";

export type OnError = "fail" | "keep-going" | "ignore";

export type JobOutcome =
  | { status: "done"; changed: boolean; forced: boolean }
  | { status: "failed"; error: unknown }
  | { status: "skipped"; because: number }
  | { status: "not-run" };

export interface JobContext {
  /** force this job (`--force`, or `--force-downstream` after a changed upstream). */
  force: boolean;
  /** env from the job's resource lease (CUDA_VISIBLE_DEVICES). */
  env?: Record<string, string>;
}

/** Resources held by a started job (see ExecuteOptions.tryStart). */
export interface JobLease {
  env?: Record<string, string>;
  release(): void;
}

export interface ExecuteOptions {
  jobs?: number;
  onError?: OnError;
  /** initial force flag of every job. */
  force?: boolean;
  /** force the descendants of a job that changed something or was forced. */
  forceDownstream?: boolean;
  signal?: AbortSignal;
  /** a job is skipped because upstream job `because` failed (keep-going). */
  onSkip?: (job: number, because: number) => void;
  /** a job failed (before the next decision is taken). */
  onFailure?: (job: number, error: unknown) => void;
  /**
   * Take the resources job i needs (resources.ts): a lease, or null while
   * they are busy (the job waits, others may start). Absent: no accounting.
   */
  tryStart?: (job: number) => JobLease | null;
  /** how often a job waiting for resources tries again (ms, default 50). */
  retryMs?: number;
}

export interface ExecuteResult {
  outcomes: JobOutcome[];
  /** failed jobs, in the order they failed. */
  failed: number[];
  interrupted: boolean;
}

/**
 * Run `count` jobs; `deps[i]` lists the jobs i waits for. `run(i, ctx)`
 * resolves to true when the job changed something (ran / restored), false
 * when it had nothing to do, and rejects on failure.
 */
export async function executeJobs(
  count: number,
  deps: readonly number[][],
  run: (job: number, ctx: JobContext) => Promise<boolean>,
  opts: ExecuteOptions = {},
): Promise<ExecuteResult> {
  const jobs = Math.max(1, opts.jobs ?? 1);
  const onError = opts.onError ?? "fail";
  const outcomes: JobOutcome[] = Array.from({ length: count }, () => ({ status: "not-run" }));
  const force = new Array<boolean>(count).fill(!!opts.force);
  const failed: number[] = [];
  const dependents: number[][] = Array.from({ length: count }, () => []);
  deps.forEach((ds, i) => {
    for (const d of ds) dependents[d].push(i);
  });
  const descendants = (job: number): number[] => {
    const seen = new Set<number>();
    const stack = [...dependents[job]];
    while (stack.length) {
      const u = stack.pop()!;
      if (seen.has(u)) continue;
      seen.add(u);
      stack.push(...dependents[u]);
    }
    return [...seen].sort((a, b) => a - b);
  };
  const skipped = new Set<number>();
  let stop = false;
  const aborted = () => opts.signal?.aborted === true;

  const finish = (job: number, p: Promise<boolean>) =>
    p.then(
      (changed) => {
        outcomes[job] = { status: "done", changed, forced: force[job] };
        if (opts.forceDownstream && (changed || force[job])) {
          for (const d of descendants(job)) force[d] = true;
        }
      },
      (error) => {
        outcomes[job] = { status: "failed", error };
        if (error instanceof InterruptedError || aborted()) {
          stop = true;
          return;
        }
        failed.push(job);
        opts.onFailure?.(job, error);
        if (onError === "fail") stop = true;
        else if (onError === "keep-going") {
          for (const d of descendants(job)) {
            if (skipped.has(d) || outcomes[d].status !== "not-run") continue;
            skipped.add(d);
            outcomes[d] = { status: "skipped", because: job };
            opts.onSkip?.(d, job);
          }
        }
      },
    );

  const retryMs = opts.retryMs ?? 50;
  const sleep = () => new Promise<void>((r) => setTimeout(r, retryMs));
  /** run job i under its lease; the lease is released when it ends. */
  const runLeased = (i: number, lease: JobLease | null) =>
    Promise.resolve().then(() => run(i, { force: force[i], env: lease?.env }))
      .finally(() => lease?.release());

  if (jobs === 1) {
    for (let i = 0; i < count; i++) {
      if (stop || aborted()) break;
      if (skipped.has(i)) continue;
      let lease: JobLease | null = null;
      if (opts.tryStart) {
        // wait for resources other processes hold
        while (!(lease = opts.tryStart(i)) && !aborted()) await sleep();
        if (aborted()) break;
      }
      await finish(i, runLeased(i, lease));
    }
    return { outcomes, failed, interrupted: aborted() };
  }

  const done = new Array<boolean>(count).fill(false);
  const started = new Array<boolean>(count).fill(false);
  const running = new Map<number, Promise<void>>();
  const ready = (i: number) =>
    !started[i] && !skipped.has(i) &&
    deps[i].every((d) => done[d] && (outcomes[d].status === "done" || onError === "ignore"));
  for (;;) {
    let blocked = false;
    if (!stop && !aborted()) {
      for (let i = 0; i < count && running.size < jobs; i++) {
        if (!ready(i)) continue;
        const lease = opts.tryStart ? opts.tryStart(i) : null;
        if (opts.tryStart && !lease) {
          blocked = true; // its resources are busy: later, maybe another job fits now
          continue;
        }
        started[i] = true;
        const p = finish(i, runLeased(i, lease))
          .then(() => {
            done[i] = true;
            running.delete(i);
          });
        running.set(i, p);
      }
    }
    if (running.size === 0 && !(blocked && !aborted())) break;
    // a job waiting for resources held elsewhere is retried after a short pause
    await Promise.race(blocked ? [...running.values(), sleep()] : running.values());
  }
  return { outcomes, failed, interrupted: aborted() };
}
