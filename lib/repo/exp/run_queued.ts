/**
 * Run ONE queued experiment: the unit a local worker, `exp run --temp` and a
 * batch scheduler (Slurm) all call. See README.md "Running one queued
 * experiment".
 *
 * The stash commit is checked out as a detached git worktree in
 * `.dvc/tmp/exps/tmpXXXX` (sharing the object store; the DVC cache is shared
 * through `cache.dir` in the worktree's config.local, so outputs are linked
 * from the one cache, never copied from the user's workspace), its data is
 * checked out from the cache, the pipeline reproduced, and the result
 * committed as `refs/exps/<baseline>/<name>` (parent = baseline), exactly as
 * a workspace `exp run` commits. The worktree is removed afterwards, also on
 * failure or interrupt; a failure is recorded in `refs/exps/celery/failed`.
 */
import { join, relative } from "node:path";
import { CairnError, InterruptedError, ScmError } from "../../errors.ts";
import { loadConfig, readLevel, writeLevel } from "../../config/config.ts";
import type { Repo } from "../repo.ts";
import { reproduce, type ReproOptions, type ReproResult } from "../reproduce.ts";
import { checkout } from "../checkout.ts";
import { experimentFiles, lockEntries } from "./run.ts";
import { commitExperiment, expHash, expRefName, gitEnv, scmRootOf } from "./refs.ts";
import {
  CELERY_FAILED_STASH,
  execTmpDir,
  type ExecutorInfo,
  listRuns,
  lockQueue,
  logFilePath,
  pushStash,
  type QueueEntry,
  readProcInfo,
  stashMessage,
  TaskStatus,
  writeInfo,
  writeProcInfo,
} from "./queue_store.ts";
import { ARGS_FILE, type QueuedArgs } from "./queue.ts";
import { lockRun, runIsAlive } from "./run_lock.ts";

export interface RunQueuedOptions {
  /**
   * Event/output sinks, signal and extra repro settings; merged over the
   * flags stored with the entry (`jobs` here wins over the stored one).
   */
  repro?: Partial<ReproOptions>;
  /** called once the temp workspace is ready, just before the pipeline runs. */
  onStart?: (name: string, workspace: string) => void;
  /** replace an experiment of the same name (`exp run -f`-like). */
  force?: boolean;
}

export interface RunQueuedResult {
  name: string;
  ref: string;
  sha: string;
  baseline: string;
  expHash: string;
  repro: ReproResult;
}

/** A git worktree of `rev` under `.dvc/tmp/exps/`; returns its path. */
/**
 * A fresh path for a temp worktree under `.dvc/tmp/exps/`. The run's info
 * names it before it exists, so `exp clean` never takes a live one for stale.
 */
function worktreePath(repo: Repo): string {
  const base = execTmpDir(repo);
  Deno.mkdirSync(base, { recursive: true });
  return join(base, `tmp${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`);
}

/** A detached git worktree of `rev` at `dir`. */
function addWorktree(repo: Repo, rev: string, dir: string): void {
  gitEnv(["worktree", "add", "--detach", "--quiet", dir, rev], scmRootOf(repo));
}

/** The Repo of the worktree (what openRepo gives, without asking git for the top level). */
function worktreeRepo(repo: Repo, wt: string, wtRoot: string): Repo {
  const dvcDir = join(wtRoot, ".dvc");
  const config = loadConfig(dvcDir);
  return {
    root: wtRoot,
    dvcDir,
    tmpDir: join(dvcDir, "tmp"),
    config,
    cacheDir: repo.cacheDir, // what shareCache wrote into its config.local
    scmRoot: wt,
    cwd: wtRoot,
  };
}

/** Remove a temp worktree, whatever state it is in. */
export function removeWorktree(repo: Repo, dir: string): void {
  const cwd = scmRootOf(repo);
  try {
    gitEnv(["worktree", "remove", "--force", "--force", dir], cwd);
  } catch (err) {
    if (!(err instanceof ScmError)) throw err;
    // not (or no longer) a registered worktree: remove the folder, forget the entry
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    try {
      gitEnv(["worktree", "prune"], cwd);
    } catch (err) {
      if (!(err instanceof ScmError)) throw err; // else nothing to prune
    }
  }
}

/** The worktree's config.local: the user's, plus the shared cache dir. */
function shareCache(repo: Repo, wtDvcDir: string): void {
  const doc = readLevel("local", repo.dvcDir);
  const cache = doc.get("cache") ?? new Map<string, string>();
  cache.set("dir", repo.cacheDir);
  doc.set("cache", cache);
  writeLevel("local", wtDvcDir, doc);
}

function info(
  repo: Repo,
  entry: QueueEntry,
  root: string,
  status: number,
  extra: Partial<ExecutorInfo> = {},
): ExecutorInfo {
  return {
    git_url: scmRootOf(repo),
    baseline_rev: entry.baselineRev,
    location: "dvc-task",
    root_dir: root,
    dvc_dir: relative(scmRootOf(repo), repo.dvcDir),
    name: entry.name,
    wdir: relative(scmRootOf(repo), repo.root) || ".",
    result_hash: null,
    result_ref: null,
    result_force: false,
    status,
    ...extra,
  };
}

/** Record a failed run as DVC does: an entry of `refs/exps/celery/failed`. */
export async function recordFailure(repo: Repo, entry: QueueEntry): Promise<void> {
  const lock = await lockQueue(repo);
  try {
    pushStash(
      repo,
      CELERY_FAILED_STASH,
      entry.stashRev,
      stashMessage(entry.headRev, entry.baselineRev, entry.name, entry.branch),
    );
  } finally {
    lock.release();
  }
}

/**
 * Run the queued experiment `entry` (already taken off the queue) in a
 * temporary workspace and commit it as an experiment ref. Throws the
 * pipeline's error (after recording the failure) or InterruptedError.
 */
export async function runQueuedExperiment(
  repo: Repo,
  entry: QueueEntry,
  opts: RunQueuedOptions = {},
): Promise<RunQueuedResult> {
  const runLock = lockRun(repo, entry.stashRev);
  if (!runLock) {
    throw new CairnError(`experiment '${entry.name ?? entry.stashRev}' is already running`);
  }
  const name = entry.name ?? `exp-${entry.stashRev.slice(0, 5)}`;
  let wt: string | undefined;
  try {
    // dvc_task's process record: who runs it and where its log goes
    const proc = {
      pid: Deno.pid,
      stdin: null,
      stdout: logFilePath(repo, entry.stashRev),
      stderr: null,
      returncode: null as number | null,
    };
    writeProcInfo(repo, entry.stashRev, proc);
    const path = worktreePath(repo);
    writeInfo(repo, entry.stashRev, info(repo, entry, path, TaskStatus.PREPARING));
    wt = path;
    addWorktree(repo, entry.stashRev, path);
    const wtRoot = join(wt, relative(scmRootOf(repo), repo.root));
    writeInfo(repo, entry.stashRev, info(repo, entry, wt, TaskStatus.RUNNING));
    shareCache(repo, join(wtRoot, ".dvc"));
    // the args file is bookkeeping, not part of the experiment: read it, then drop it
    const argsPath = join(wtRoot, ARGS_FILE);
    let args: QueuedArgs;
    try {
      args = JSON.parse(Deno.readTextFileSync(argsPath));
      Deno.removeSync(argsPath);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      args = { targets: [], repro: {}, setParams: [] }; // queued by DVC: its defaults
    }
    const wtRepo = worktreeRepo(repo, wt, wtRoot);
    const signal = opts.repro?.signal;
    if (signal?.aborted) throw new InterruptedError();
    await checkout(wtRepo, [], { force: true, allowMissing: true }).catch((err) => {
      // like DVC (allow_missing): data missing from the cache is the pipeline's problem
      if (!(err instanceof CairnError) || err instanceof InterruptedError) throw err;
    });
    opts.onStart?.(name, wt);
    // per-run env (several experiments share this process): what `dvc exp run` sets
    const stageRun = {
      ...opts.repro?.stageRun,
      env: {
        ...opts.repro?.stageRun?.env,
        DVC_EXP_BASELINE_REV: entry.baselineRev,
        DVC_EXP_NAME: name,
      },
    };
    const result = await reproduce(wtRepo, args.targets, {
      ...args.repro,
      ...opts.repro,
      stageRun,
    });
    const hash = expHash(lockEntries(wtRepo, result.changed));
    const paramsFiles = args.setParams.map((s) => {
      const colon = s.slice(0, s.indexOf("=")).lastIndexOf(":");
      return colon === -1 ? "params.yaml" : s.slice(0, colon).replace(/^[+~]+/, "");
    });
    const sha = commitExperiment(wtRepo, {
      name,
      baseline: entry.baselineRev,
      message: args.message ?? `dvc: commit experiment ${hash}`,
      extraPaths: experimentFiles(wtRepo, [...new Set(paramsFiles)], result.gitFiles),
      force: opts.force,
    });
    const ref = expRefName(entry.baselineRev, name);
    writeInfo(
      repo,
      entry.stashRev,
      info(repo, entry, wt, TaskStatus.SUCCESS, { result_hash: hash, result_ref: ref }),
    );
    writeProcInfo(repo, entry.stashRev, { ...proc, returncode: 0 });
    return { name, ref, sha, baseline: entry.baselineRev, expHash: hash, repro: result };
  } catch (err) {
    writeInfo(repo, entry.stashRev, info(repo, entry, wt ?? "", TaskStatus.FAILED));
    const p = readProcInfo(repo, entry.stashRev);
    if (p) writeProcInfo(repo, entry.stashRev, { ...p, returncode: 1 });
    await recordFailure(repo, entry);
    throw err;
  } finally {
    if (wt) removeWorktree(repo, wt);
    runLock.release();
  }
}

/**
 * `exp clean`: temp worktrees under `.dvc/tmp/exps/` whose run is not alive
 * (a crashed or SIGKILLed worker), removed; their runs recorded as failed.
 * Returns how many worktrees went.
 */
export function cleanQueueState(repo: Repo): number {
  let n = 0;
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(execTmpDir(repo))];
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const live = new Set<string>();
  for (const [rev, i] of listRuns(repo)) {
    if (i.root_dir && runIsAlive(repo, rev)) live.add(i.root_dir);
  }
  for (const e of entries) {
    const dir = join(execTmpDir(repo), e.name);
    if (!e.isDirectory || !e.name.startsWith("tmp") || live.has(dir)) continue;
    removeWorktree(repo, dir);
    n++;
  }
  try {
    gitEnv(["worktree", "prune"], scmRootOf(repo));
  } catch (err) {
    if (!(err instanceof ScmError)) throw err; // else nothing to prune
  }
  return n;
}
