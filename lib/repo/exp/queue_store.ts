/**
 * Where queued experiments wait, in DVC's places and formats (DVC 3.64,
 * dvc/repo/experiments/{stash,refs}.py, queue/base.py, executor/base.py):
 *
 * - queued: entries of the stash ref `refs/exps/celery/stash`. Each entry
 *   is a git stash commit (tree = the workspace with the `-S` overrides
 *   applied, parents = [HEAD, index commit]) whose reflog message is
 *   `commit: dvc-exp:<head>:<baseline>:<name>`; the oldest entry runs first.
 * - failed: `refs/exps/celery/failed`, one reflog entry per failed run,
 *   same message, pointing at the stash commit.
 * - running/finished: the executor info file
 *   `.dvc/tmp/exps/run/<stash rev>/<stash rev>.run` (DVC's ExecutorInfo JSON),
 *   the run's log `<stash rev>.out` next to it.
 *
 * DVC's own broker state (celery/kombu message files under
 * `.dvc/tmp/exps/celery/`) is not written: cairn needs no broker. So the
 * payload of a queued experiment is DVC's, but `dvc queue status` lists only
 * what DVC's celery queued itself.
 */
import { join } from "node:path";
import { CairnError, ScmError } from "../../errors.ts";
import { writeTextAtomic } from "../../fs/atomic_write.ts";
import { pyJsonDumps } from "../../py/json_dumps.ts";
import { acquireRepoLock, type RepoLock } from "../../fs/repo_lock.ts";
import type { Repo } from "../repo.ts";
import { gitEnv, scmRootOf } from "./refs.ts";

export const CELERY_STASH = "refs/exps/celery/stash";
export const CELERY_FAILED_STASH = "refs/exps/celery/failed";

/** DVC's TaskStatus values (executor/base.py). */
export const TaskStatus = {
  PENDING: 0,
  PREPARING: 1,
  RUNNING: 2,
  SUCCESS: 3,
  FAILED: 4,
  CANCELED: 5,
  FINISHED: 6,
} as const;

/** One queued (or failed) experiment. */
export interface QueueEntry {
  /** the stash commit: the experiment's workspace. */
  stashRev: string;
  /** HEAD when it was queued. */
  headRev: string;
  baselineRev: string;
  name: string | null;
  branch: string | null;
  /** reflog index in its stash (0 = newest). */
  index: number;
  /** committer time of the stash commit (seconds). */
  timestamp: number;
}

/** DVC's ExecutorInfo (the `.run` file). */
export interface ExecutorInfo {
  git_url: string;
  baseline_rev: string;
  location: string;
  root_dir: string;
  dvc_dir: string;
  name: string | null;
  wdir: string | null;
  result_hash: string | null;
  result_ref: string | null;
  result_force: boolean;
  status: number;
}

const MESSAGE_RE = /^(?:commit: )dvc-exp:([0-9a-f]+):([0-9a-f]+):([^~^:\\?[\]*]*)(?::(.+))?$/;

/** DVC's stash message for an experiment. */
export function stashMessage(
  headRev: string,
  baselineRev: string,
  name: string | null,
  branch?: string | null,
): string {
  return `dvc-exp:${headRev}:${baselineRev}:${name ?? ""}${branch ? `:${branch}` : ""}`;
}

/** `.dvc/tmp/exps` (DVC's EXEC_TMP_DIR). */
export function execTmpDir(repo: Repo): string {
  return join(repo.tmpDir, "exps");
}

/** `.dvc/tmp/exps/run/<rev>` (DVC's EXEC_PID_DIR entry of one run). */
export function runDir(repo: Repo, stashRev: string): string {
  return join(execTmpDir(repo), "run", stashRev);
}

export function infoFilePath(repo: Repo, stashRev: string): string {
  return join(runDir(repo, stashRev), `${stashRev}.run`);
}

export function logFilePath(repo: Repo, stashRev: string): string {
  return join(runDir(repo, stashRev), `${stashRev}.out`);
}

/** Serialises changes to the queue refs between cairn processes. */
export function lockQueue(repo: Repo): Promise<RepoLock> {
  return acquireRepoLock(join(execTmpDir(repo), "cairn-queue.lock"), { timeoutMs: 30_000 });
}

/** Entries of a stash ref, newest first (index 0), as DVC's ExpStash lists them. */
export function listStash(repo: Repo, ref: string): QueueEntry[] {
  const cwd = scmRootOf(repo);
  let out: string;
  try {
    out = gitEnv(["reflog", "show", "--format=%H%x09%ct%x09%gs", ref, "--"], cwd);
  } catch (err) {
    if (err instanceof CairnError) return []; // no such ref: nothing queued
    throw err;
  }
  const entries: QueueEntry[] = [];
  out.split("\n").filter(Boolean).forEach((line, index) => {
    const [sha, ts, ...rest] = line.split("\t");
    const m = MESSAGE_RE.exec(rest.join("\t"));
    if (!m) return;
    entries.push({
      stashRev: sha,
      headRev: m[1],
      baselineRev: m[2],
      name: m[3] || null,
      branch: m[4] ?? null,
      index,
      timestamp: Number(ts),
    });
  });
  return entries;
}

/** Queued experiments in the order they run (oldest first). */
export function listQueued(repo: Repo): QueueEntry[] {
  return listStash(repo, CELERY_STASH).reverse();
}

/** Failed experiments, oldest first. */
export function listFailed(repo: Repo): QueueEntry[] {
  return listStash(repo, CELERY_FAILED_STASH).reverse();
}

/** Append an entry to a stash ref (the reflog carries the message). Hold lockQueue. */
export function pushStash(repo: Repo, ref: string, sha: string, message: string): void {
  gitEnv(["update-ref", "--create-reflog", "-m", `commit: ${message}`, ref, sha], scmRootOf(repo));
}

/**
 * Drop entries (by reflog index) from a stash ref, as `git stash drop` does.
 * `total`: how many entries the ref has, when the caller just listed them
 * (saves listing again). Hold lockQueue.
 */
export function dropStash(repo: Repo, ref: string, indexes: number[], total?: number): void {
  const cwd = scmRootOf(repo);
  const drop = [...new Set(indexes)].sort((a, b) => b - a);
  for (const i of drop) {
    gitEnv(["reflog", "delete", "--updateref", "--rewrite", `${ref}@{${i}}`], cwd);
  }
  const left = total !== undefined ? total - drop.length : listStash(repo, ref).length;
  if (left <= 0) {
    try {
      gitEnv(["update-ref", "-d", ref], cwd);
    } catch (err) {
      if (!(err instanceof ScmError)) throw err; // else already gone
    }
  }
}

/** The executor info of a run, if any. */
export function readInfo(repo: Repo, stashRev: string): ExecutorInfo | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(infoFilePath(repo, stashRev)));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

export function writeInfo(repo: Repo, stashRev: string, info: ExecutorInfo): void {
  const path = infoFilePath(repo, stashRev);
  Deno.mkdirSync(runDir(repo, stashRev), { recursive: true });
  // DVC writes it with json.dump (", " and ": " separators, no indent)
  writeTextAtomic(path, pyJsonDumps(info));
}

/** Runs that have an info file: stash rev -> info. */
export function listRuns(repo: Repo): Map<string, ExecutorInfo> {
  const out = new Map<string, ExecutorInfo>();
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(join(execTmpDir(repo), "run"))];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out;
    throw err;
  }
  for (const e of entries) {
    if (!e.isDirectory || !/^[0-9a-f]{40}$/.test(e.name)) continue;
    const info = readInfo(repo, e.name);
    if (info) out.set(e.name, info);
  }
  return out;
}

/** Remove a run's info file and log. */
export function removeRun(repo: Repo, stashRev: string): void {
  try {
    Deno.removeSync(runDir(repo, stashRev), { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** DVC's WorkspaceQueue `_EXEC_NAME`: a workspace `exp run` in progress. */
export const WORKSPACE_EXEC = "workspace";

/** `run/workspace/workspace.json`: dvc_task's ProcessInfo of the running `exp run`. */
export function workspaceProcPath(repo: Repo): string {
  return join(runDir(repo, WORKSPACE_EXEC), `${WORKSPACE_EXEC}.json`);
}

/**
 * Mark a workspace `exp run` as running where DVC (and its VS Code
 * extension, through `exp show`) looks for it. Returns the cleanup to call
 * when it ends (DVC: status FINISHED unless failed, ProcessInfo removed).
 */
export function markWorkspaceRun(
  repo: Repo,
  info: ExecutorInfo,
): (failed: boolean) => void {
  Deno.mkdirSync(runDir(repo, WORKSPACE_EXEC), { recursive: true });
  writeInfo(repo, WORKSPACE_EXEC, info);
  writeTextAtomic(
    workspaceProcPath(repo),
    pyJsonDumps({ pid: Deno.pid, stdin: null, stdout: null, stderr: null, returncode: null }),
  );
  return (failed) => {
    writeInfo(repo, WORKSPACE_EXEC, {
      ...info,
      status: failed ? TaskStatus.FAILED : TaskStatus.FINISHED,
    });
    try {
      Deno.removeSync(workspaceProcPath(repo));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
}

/** The running workspace `exp run` (its info and pid), if its process lives. */
export function activeWorkspaceRun(
  repo: Repo,
): { info: ExecutorInfo; pid: number } | undefined {
  let pid: number;
  try {
    pid = JSON.parse(Deno.readTextFileSync(workspaceProcPath(repo))).pid;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof SyntaxError) return undefined;
    throw err;
  }
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    if (stat.split(") ")[1]?.[0] === "Z") return undefined;
  } catch {
    // any failure to read a /proc entry (ENOENT, ESRCH while it exits) means the process is gone
    return undefined;
  }
  const info = readInfo(repo, WORKSPACE_EXEC);
  if (!info || info.status >= TaskStatus.FAILED || info.status === TaskStatus.SUCCESS) {
    return undefined;
  }
  return { info, pid };
}

/** dvc_task's ProcessInfo of a run (`run/<rev>/<rev>.json`): pid, log path, exit code. */
export interface ProcessInfo {
  pid: number;
  stdin: string | null;
  stdout: string | null;
  stderr: string | null;
  returncode: number | null;
}

export function procInfoPath(repo: Repo, stashRev: string): string {
  return join(runDir(repo, stashRev), `${stashRev}.json`);
}

export function writeProcInfo(repo: Repo, stashRev: string, p: ProcessInfo): void {
  Deno.mkdirSync(runDir(repo, stashRev), { recursive: true });
  writeTextAtomic(procInfoPath(repo, stashRev), pyJsonDumps(p));
}

export function readProcInfo(repo: Repo, stashRev: string): ProcessInfo | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(procInfoPath(repo, stashRev)));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof SyntaxError) return undefined;
    throw err;
  }
}
