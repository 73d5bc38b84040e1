/**
 * `exp run --queue`: stash experiments (one per point of a `-S` sweep) in
 * DVC's queue (queue_store.ts) without touching the workspace, the index or
 * HEAD; `queue status|remove` and `exp remove --queue` over the same store.
 */
import { dirname, join, relative } from "node:path";
import { CairnError, ScmError, UsageError } from "../../errors.ts";
import type { Repo } from "../repo.ts";
import type { ReproOptions } from "../reproduce.ts";
import { overriddenTexts, parseOverride } from "./set_params.ts";
import { expandSweeps, isSweep } from "./sweep.ts";
import { checkExpName, expExists, gitEnv, headSha, randomExpName, scmRootOf } from "./refs.ts";
import {
  CELERY_FAILED_STASH,
  CELERY_STASH,
  dropStash,
  type ExecutorInfo,
  listFailed,
  listQueued,
  listRuns,
  lockQueue,
  pushStash,
  type QueueEntry,
  removeRun,
  stashMessage,
  TaskStatus,
} from "./queue_store.ts";
import { runIsAlive } from "./run_lock.ts";

/** The repro flags a queued experiment keeps (JSON in the stash commit). */
export type QueuedReproArgs = Pick<
  ReproOptions,
  | "force"
  | "singleItem"
  | "pipeline"
  | "allPipelines"
  | "recursive"
  | "downstream"
  | "forceDownstream"
  | "glob"
  | "keepGoing"
  | "ignoreErrors"
  | "pull"
  | "allowMissing"
  | "noCommit"
  | "noRunCache"
  | "jobs"
  | "gpus"
>;

/** What a queued experiment runs with, stored in its stash commit. */
export interface QueuedArgs {
  targets: string[];
  repro: QueuedReproArgs;
  message?: string;
  /** the `-S` items of this point of the sweep. */
  setParams: string[];
}

/** Repo-relative (to the git root) path of the args file inside the stash tree. */
export const ARGS_FILE = ".dvc/tmp/cairn-repro.json";

export interface QueueOptions {
  setParams?: string[];
  /** `-n`: the name, or the prefix `<name>-<i>` of a sweep's names. */
  name?: string;
  message?: string;
  repro?: QueuedReproArgs;
  /** queue a sweep of more than 10,000 points. */
  force?: boolean;
  /**
   * make the stash commits but do not put them on the queue (`--temp`: the
   * caller runs them itself, no worker may take them).
   */
  noQueue?: boolean;
}

export interface QueuedExp {
  entry: QueueEntry;
  /** the `-S` items of this point (for "Queueing with overrides ..."). */
  setParams: string[];
}

function gitIn(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return gitEnv(args, cwd, env).trim();
}

/** Write `text` as a blob; returns its id. */
function blobOf(cwd: string, gitDir: string, text: string): string {
  const tmp = join(gitDir, `cairn-blob-${crypto.randomUUID()}`);
  Deno.writeTextFileSync(tmp, text);
  try {
    return gitIn(cwd, ["hash-object", "-w", "--", tmp]);
  } finally {
    Deno.removeSync(tmp);
  }
}

/**
 * A stash commit of the workspace with `files` (git-root-relative path ->
 * text) replaced, built in a temporary index: nothing the user sees moves.
 */
function stashCommit(
  repo: Repo,
  head: string,
  files: Map<string, string>,
  message: string,
): string {
  const cwd = scmRootOf(repo);
  const gitDir = gitIn(cwd, ["rev-parse", "--absolute-git-dir"]);
  const index = join(gitDir, `cairn-queue-index-${crypto.randomUUID()}`);
  const env = { GIT_INDEX_FILE: index };
  try {
    try {
      Deno.copyFileSync(join(gitDir, "index"), index);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      gitIn(cwd, ["read-tree", head], env);
    }
    const indexTree = gitIn(cwd, ["write-tree"], env);
    const subject = gitIn(cwd, ["log", "-1", "--format=%h %s", head]);
    const indexCommit = gitIn(cwd, [
      "commit-tree",
      indexTree,
      "-p",
      head,
      "-m",
      `index on ${head.slice(0, 7)}: ${subject}`,
    ]);
    gitIn(cwd, ["add", "-u", "--", "."], env);
    for (const [path, text] of files) {
      const blob = blobOf(cwd, gitDir, text);
      gitIn(cwd, ["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`], env);
    }
    const tree = gitIn(cwd, ["write-tree"], env);
    return gitIn(cwd, ["commit-tree", tree, "-p", head, "-p", indexCommit, "-m", message]);
  } finally {
    try {
      Deno.removeSync(index);
    } catch { /* best effort: never created, or cleanup must not mask the work's error */ }
  }
}

/** Names for the points: `-n` as is, `<n>-<i>` for a sweep, random otherwise. */
function namesFor(repo: Repo, baseline: string, count: number, opts: QueueOptions): string[] {
  const cwd = scmRootOf(repo);
  const taken = new Set([
    ...listQueued(repo).filter((e) => e.baselineRev === baseline).map((e) => e.name),
  ]);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    let name: string;
    if (opts.name !== undefined) {
      name = count > 1 || isSweep(opts.setParams ?? []) ? `${opts.name}-${i + 1}` : opts.name;
      checkExpName(name, cwd);
      if (expExists(repo, baseline, name) || taken.has(name)) {
        throw new CairnError(`Experiment conflicts with existing experiment '${name}'.`, {
          hint: `choose another name or remove it first: cairn exp remove ${name}`,
        });
      }
    } else {
      do name = randomExpName(repo, baseline); while (taken.has(name));
    }
    taken.add(name);
    names.push(name);
  }
  return names;
}

/**
 * Queue one experiment per point of the `-S` sweep. Every point's overrides
 * are checked against the params files before anything is queued.
 */
export async function queueExperiments(
  repo: Repo,
  targets: readonly string[],
  opts: QueueOptions = {},
): Promise<QueuedExp[]> {
  const head = headSha(repo);
  const points = expandSweeps(opts.setParams ?? [], { force: opts.force });
  const scm = scmRootOf(repo);
  const rel = (p: string) => relative(scm, join(repo.root, p));
  // check every point first: an unknown key fails before anything is queued
  const texts = points.map((items) => overriddenTexts(repo.root, items.map(parseOverride)));
  const names = namesFor(repo, head, points.length, opts);
  const argsPath = relative(scm, join(dirname(repo.dvcDir), ARGS_FILE));
  const lock = await lockQueue(repo);
  try {
    const out: QueuedExp[] = [];
    points.forEach((items, i) => {
      const files = new Map<string, string>();
      for (const [file, text] of texts[i]) files.set(rel(file), text);
      const args: QueuedArgs = {
        targets: [...targets],
        repro: opts.repro ?? {},
        message: opts.message,
        setParams: items,
      };
      files.set(argsPath, JSON.stringify(args, null, 2) + "\n");
      const message = stashMessage(head, head, names[i]);
      const sha = stashCommit(repo, head, files, message);
      if (!opts.noQueue) pushStash(repo, CELERY_STASH, sha, message);
      const timestamp = Number(gitIn(scm, ["log", "-1", "--format=%ct", sha]));
      out.push({
        entry: {
          stashRev: sha,
          headRev: head,
          baselineRev: head,
          name: names[i],
          branch: null,
          index: 0,
          timestamp,
        },
        setParams: items,
      });
    });
    return out;
  } finally {
    lock.release();
  }
}

/** The args a stash commit carries (defaults when DVC queued it). */
export function readQueuedArgs(repo: Repo, stashRev: string): QueuedArgs {
  const scm = scmRootOf(repo);
  const path = relative(scm, join(dirname(repo.dvcDir), ARGS_FILE));
  try {
    return JSON.parse(gitEnv(["show", `${stashRev}:${path}`], scm));
  } catch (err) {
    if (err instanceof CairnError || err instanceof SyntaxError) {
      return { targets: [], repro: {}, setParams: [] };
    }
    throw err;
  }
}

export type QueueState = "Queued" | "Running" | "Failed" | "Success";

export interface QueueStatusRow {
  rev: string;
  name: string | null;
  /** committer time of the stash commit (seconds). */
  timestamp: number;
  status: QueueState;
  baselineRev: string;
  info?: ExecutorInfo;
}

/**
 * Every experiment the queue knows, in DVC's order: running, queued,
 * failed, successful. A run whose process died is reported failed.
 */
export function queueStatus(repo: Repo): QueueStatusRow[] {
  const runs = listRuns(repo);
  const failed = listFailed(repo);
  const failedRevs = new Set(failed.map((e) => e.stashRev));
  const rows: QueueStatusRow[] = [];
  const running: QueueStatusRow[] = [];
  const success: QueueStatusRow[] = [];
  const scm = scmRootOf(repo);
  const timeOf = (rev: string) => {
    try {
      return Number(gitIn(scm, ["log", "-1", "--format=%ct", rev]));
    } catch (err) {
      if (!(err instanceof ScmError)) throw err;
      return 0; // the commit is gone
    }
  };
  for (const [rev, info] of runs) {
    if (failedRevs.has(rev)) continue;
    const row = {
      rev,
      name: info.name,
      timestamp: timeOf(rev),
      baselineRev: info.baseline_rev,
      info,
    };
    if (info.status <= TaskStatus.RUNNING) {
      if (runIsAlive(repo, rev)) running.push({ ...row, status: "Running" });
      else rows.push({ ...row, status: "Failed" });
    } else if (info.status === TaskStatus.SUCCESS || info.status === TaskStatus.FINISHED) {
      if (info.result_ref) success.push({ ...row, status: "Success" });
    }
  }
  const queued = listQueued(repo).map((e): QueueStatusRow => ({
    rev: e.stashRev,
    name: e.name,
    timestamp: e.timestamp,
    baselineRev: e.baselineRev,
    status: "Queued",
  }));
  const failedRows = failed.map((e): QueueStatusRow => ({
    rev: e.stashRev,
    name: e.name,
    timestamp: e.timestamp,
    baselineRev: e.baselineRev,
    status: "Failed",
    info: runs.get(e.stashRev),
  }));
  return [...running, ...queued, ...failedRows, ...rows, ...success];
}

/** Match names or rev prefixes against rows; unknown ones are reported. */
function matchRows(
  rows: { rev: string; name: string | null }[],
  names: readonly string[],
): { hits: Set<string>; unknown: string[] } {
  const hits = new Set<string>();
  const unknown: string[] = [];
  for (const n of names) {
    const byName = rows.filter((r) => r.name === n);
    const byRev = /^[0-9a-f]{4,40}$/.test(n) ? rows.filter((r) => r.rev.startsWith(n)) : [];
    const found = byName.length ? byName : byRev;
    if (!found.length) unknown.push(n);
    for (const r of found) hits.add(r.rev);
  }
  return { hits, unknown };
}

export interface QueueRemoveOptions {
  all?: boolean;
  queued?: boolean;
  success?: boolean;
  failed?: boolean;
}

/**
 * `queue remove`: queued entries (stash entries dropped), failed ones
 * (failed stash entries dropped, logs removed) and finished runs' records.
 * Running experiments are left alone (`queue kill` stops them). Returns the
 * names (or short revs) removed. Unknown names remove nothing.
 */
export async function removeFromQueue(
  repo: Repo,
  names: readonly string[],
  opts: QueueRemoveOptions = {},
): Promise<string[]> {
  const lock = await lockQueue(repo);
  try {
    const queued = listStashIndexed(repo, CELERY_STASH);
    const failed = listStashIndexed(repo, CELERY_FAILED_STASH);
    const status = queueStatus(repo);
    const success = status.filter((r) => r.status === "Success");
    const dead = status.filter((r) =>
      r.status === "Failed" && !failed.some((f) => f.stashRev === r.rev)
    );
    const label = (r: { rev: string; name: string | null }) => r.name ?? r.rev.slice(0, 7);
    const removed: string[] = [];
    if (names.length) {
      const pool = [
        ...queued.map((e) => ({ rev: e.stashRev, name: e.name })),
        ...failed.map((e) => ({ rev: e.stashRev, name: e.name })),
        ...success,
        ...dead,
      ];
      const { hits, unknown } = matchRows(pool, names);
      if (unknown.length) {
        throw new UsageError(
          `'${unknown.join("', '")}' is not a queued, failed or finished experiment`,
        );
      }
      dropStash(repo, CELERY_STASH, queued.filter((e) => hits.has(e.stashRev)).map((e) => e.index));
      dropStash(
        repo,
        CELERY_FAILED_STASH,
        failed.filter((e) => hits.has(e.stashRev)).map((e) => e.index),
      );
      for (const r of [...failed, ...success, ...dead]) {
        const rev = "stashRev" in r ? r.stashRev : r.rev;
        if (hits.has(rev)) removeRun(repo, rev);
      }
      for (const r of pool) if (hits.has(r.rev)) removed.push(label(r));
      return [...new Set(removed)];
    }
    if (opts.all || opts.queued) {
      dropStash(repo, CELERY_STASH, queued.map((e) => e.index));
      removed.push(...queued.map((e) => label({ rev: e.stashRev, name: e.name })));
    }
    if (opts.all || opts.failed) {
      dropStash(repo, CELERY_FAILED_STASH, failed.map((e) => e.index));
      for (const e of failed) removeRun(repo, e.stashRev);
      for (const r of dead) removeRun(repo, r.rev);
      removed.push(...failed.map((e) => label({ rev: e.stashRev, name: e.name })));
      removed.push(...dead.map(label));
    }
    if (opts.all || opts.success) {
      for (const r of success) removeRun(repo, r.rev);
      removed.push(...success.map(label));
    }
    return removed;
  } finally {
    lock.release();
  }
}

function listStashIndexed(repo: Repo, ref: string): QueueEntry[] {
  return ref === CELERY_STASH ? listQueued(repo) : listFailed(repo);
}

/** The experiment a name given to `queue logs|kill` refers to. */
export function findQueueRow(repo: Repo, name: string): QueueStatusRow {
  const rows = queueStatus(repo);
  const { hits } = matchRows(rows, [name]);
  const row = rows.find((r) => hits.has(r.rev));
  if (!row) {
    throw new CairnError(`'${name}' does not appear to be a queued or finished experiment`, {
      hint: "list them with 'cairn queue status'",
    });
  }
  return row;
}
