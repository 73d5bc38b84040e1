/**
 * `exp show` / `exp list` data (dvc-spec §14.3): the workspace, baseline
 * commits and their experiments, each with params, metrics, deps and outs.
 * The JSON shape is DVC's (`dvc exp show --json`); rendering is in the CLI.
 */
import { join } from "node:path";
import { openRepo, type Repo } from "../repo.ts";
import { openRevision, type Revision, stageOutPath, WORKSPACE } from "../revisions.ts";
import { metricsAt } from "../metrics/show.ts";
import { paramsAt } from "../params/show.ts";
import type { FileResult, RevisionResult } from "../metrics/show.ts";
import { CairnError, ignoreNotFound, UnknownRevisionError } from "../../errors.ts";
import { type ExpRef, gitEnv, headShaIfAny, listExpRefs, scmRootOf } from "./refs.ts";
import { queueStatus, type QueueStatusRow } from "./queue.ts";
import { activeWorkspaceRun, readProcInfo } from "./queue_store.ts";
import { runToolSync } from "../../proc/spawn.ts";

export interface FileJson {
  data?: unknown;
  error?: { type: string; msg: string };
}

export interface RevData {
  rev: string;
  timestamp: string | null;
  params: Record<string, FileJson>;
  metrics: Record<string, FileJson>;
  deps: Record<string, { hash: string | null; size: number | null; nfiles: number | null }>;
  outs: Record<
    string,
    {
      hash: string | null;
      size: number | null;
      nfiles: number | null;
      use_cache: boolean;
      is_data_source: boolean;
    }
  >;
  meta: Record<string, unknown>;
}

/** DVC's ExpExecutor (`executor` of an experiment range). */
export interface ExpExecutorJson {
  state: "success" | "queued" | "running" | "failed";
  name: string | null;
  local: {
    root: string | null;
    log: string | null;
    pid: number | null;
    returncode: number | null;
    task_id: string | null;
  } | null;
}

export interface ExpNode {
  rev: string;
  name: string | null;
  data: RevData;
  error: { type: string; msg: string } | null;
  experiments: { revs: ExpNode[]; executor: ExpExecutorJson | null; name: string | null }[] | null;
}

/** Python `datetime.fromtimestamp(ts).isoformat()` (local time, no zone). */
export function isoLocal(ts: number): string {
  const d = new Date(ts * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${
    p(d.getMinutes())
  }:${p(d.getSeconds())}`;
}

function filesJson(r: RevisionResult): Record<string, FileJson> {
  const out: Record<string, FileJson> = {};
  for (const [p, fr] of Object.entries(r.data ?? {}) as [string, FileResult][]) {
    if ("data" in fr) out[p] = { data: fr.data };
    else if ("error" in fr) out[p] = { error: { type: fr.error.name, msg: fr.error.message } };
    else out[p] = { error: { type: "FileMissingError", msg: `not in cache: ${fr.missing.md5}` } };
  }
  return out;
}

function revData(
  repo: Repo,
  rev: Revision,
  timestamp: string | null,
  paramDeps = false,
): RevData {
  const view = openRevision(repo, rev);
  const data: RevData = {
    rev: rev.sha ?? "workspace",
    timestamp,
    params: filesJson(paramsAt(view, { depsOnly: paramDeps })),
    metrics: filesJson(metricsAt(view)),
    deps: {},
    outs: {},
    meta: {},
  };
  try {
    for (const stage of view.index().stages) {
      for (const d of stage.deps) {
        // DVC leaves out import (repo), dataset and db deps; a path listed by
        // several stages keeps its first place and the last stage's entry
        // (a dict comprehension)
        if (d.repo || (d.extra && ("dataset" in d.extra || "db" in d.extra))) continue;
        const p = stageOutPath(stage, d.path);
        data.deps[p] = {
          hash: d.hash?.md5 ?? null,
          size: d.hash?.size ?? null,
          nfiles: d.hash?.nfiles ?? null,
        };
      }
      for (const o of stage.outs) {
        if (o.kind !== "out") continue; // DVC lists metrics and plots apart
        const p = stageOutPath(stage, o.path);
        data.outs[p] = {
          hash: o.hash?.md5 ?? null,
          size: o.hash?.size ?? null,
          nfiles: o.hash?.nfiles ?? null,
          use_cache: o.cache,
          // DVC: `stage.cmd is None` (added and imported data)
          is_data_source: stage.cmd === undefined,
        };
      }
    }
  } catch (err) {
    // a broken stage file: params/metrics still shown
    if (!(err instanceof CairnError)) throw err;
  }
  return data;
}

function commitTime(repo: Repo, sha: string): number {
  return Number(gitEnv(["log", "-1", "--format=%ct", sha], scmRootOf(repo)).trim());
}

/** Branch names pointing at `sha` (the current branch first). */
export function baselineName(repo: Repo, sha: string): string | null {
  const cwd = scmRootOf(repo);
  const out = gitEnv(["branch", "--points-at", sha, "--format=%(HEAD) %(refname:short)"], cwd);
  const lines = out.split("\n").filter(Boolean);
  const cur = lines.find((l) => l.startsWith("*"));
  const pick = cur ?? lines[0];
  return pick ? pick.slice(2) : null;
}

/**
 * Names of baselines as DVC's `describe`: the current branch for HEAD's
 * commit, else the first tag, else the first branch (refs in sorted order).
 */
export function describeRevs(repo: Repo, shas: string[]): Map<string, string | null> {
  const cwd = scmRootOf(repo);
  const tags = new Map<string, string>();
  const branches = new Map<string, string>();
  const refs = gitEnv(
    ["for-each-ref", "--format=%(refname) %(objectname) %(*objectname)", "refs/tags", "refs/heads"],
    cwd,
  );
  for (const line of refs.split("\n").filter(Boolean)) {
    const [ref, obj, peeled] = line.split(" ");
    const sha = peeled || obj;
    if (ref.startsWith("refs/tags/")) {
      if (!tags.has(sha)) tags.set(sha, ref.slice("refs/tags/".length));
    } else if (!branches.has(sha)) branches.set(sha, ref.slice("refs/heads/".length));
  }
  const head = headShaIfAny(repo);
  const sym = runToolSync("git", ["symbolic-ref", "-q", "HEAD"], {
    cwd,
    stdout: "piped",
    stderr: "null",
  });
  const headRef = sym.code === 0 ? new TextDecoder().decode(sym.stdout).trim() : "";
  const headBranch = headRef.startsWith("refs/heads/") ? headRef.slice(11) : null;
  const names = new Map<string, string | null>();
  for (const sha of shas) {
    names.set(
      sha,
      sha === head && headBranch ? headBranch : tags.get(sha) ?? branches.get(sha) ?? null,
    );
  }
  return names;
}

export interface ExpShowOptions {
  /** `-a`: the tips of all branches as baselines too. */
  allBranches?: boolean;
  /** `-T`: every tagged commit. */
  allTags?: boolean;
  /** `-A`: every commit. */
  allCommits?: boolean;
  /** `--rev`: these commits (default HEAD when no other selection is given). */
  revs?: string[];
  /** `-n`: that many commits of each rev's first-parent history (default 1). */
  num?: number;
  hideQueued?: boolean;
  hideFailed?: boolean;
  hideWorkspace?: boolean;
  /** `--param-deps`: only params that stages depend on (workspace and experiments, as DVC). */
  paramDeps?: boolean;
  /** `--sha`: baselines named by their sha, not a branch or tag. */
  shaOnly?: boolean;
}

function resolveCommit(cwd: string, rev: string): string | undefined {
  const r = runToolSync("git", ["rev-parse", "--verify", "-q", `${rev}^{commit}`], {
    cwd,
    stdout: "piped",
    stderr: "null",
  });
  return r.code === 0 ? new TextDecoder().decode(r.stdout).trim() : undefined;
}

/** Baseline shas to show, in DVC's order (`iter_revs`). */
function baselines(repo: Repo, opts: ExpShowOptions): string[] {
  const out: string[] = [];
  const add = (s: string | undefined) => {
    if (s && !out.includes(s)) out.push(s);
  };
  const cwd = scmRootOf(repo);
  const num = opts.num ?? 1;
  let revs = opts.revs ?? [];
  if (!revs.length && !opts.allBranches && !opts.allTags && !opts.allCommits) revs = ["HEAD"];
  for (const rev of revs) {
    const sha = resolveCommit(cwd, rev);
    if (!sha) {
      if (rev === "HEAD") continue; // no commits yet: the workspace alone
      throw new UnknownRevisionError(rev);
    }
    for (let n = 0; n < num; n++) {
      const s = n === 0 ? sha : resolveCommit(cwd, `${sha}~${n}`);
      if (!s) break;
      add(s);
    }
  }
  const lines = (args: string[]) => gitEnv(args, cwd).split("\n").filter(Boolean);
  if (opts.allCommits) {
    for (const l of lines(["rev-list", "--exclude=refs/exps/*", "--exclude=refs/stash", "--all"])) {
      add(l);
    }
  } else {
    if (opts.allBranches) {
      for (const l of lines(["for-each-ref", "--format=%(objectname)", "refs/heads"])) add(l);
    }
    if (opts.allTags) {
      for (
        const l of lines(["for-each-ref", "--format=%(*objectname) %(objectname)", "refs/tags"])
      ) {
        add(l.split(" ").find(Boolean));
      }
    }
  }
  return out;
}

type ExpRange = NonNullable<ExpNode["experiments"]>[number];

/** DVC `_sorted_ranges`: newest first. */
function sortRanges(ranges: ExpRange[]): ExpRange[] {
  const key = (r: ExpRange) => r.revs[0]?.data.timestamp ?? "";
  return ranges.sort((a, b) =>
    key(b).localeCompare(key(a)) || (b.revs[0]?.rev ?? "").localeCompare(a.revs[0]?.rev ?? "")
  );
}

/** The `exp show --json` document. */
export function showExperiments(repo: Repo, opts: ExpShowOptions = {}): ExpNode[] {
  // DVC: a repository without commits has nothing to show, not even the workspace
  if (!resolveCommit(scmRootOf(repo), "HEAD")) return [];
  const exps = listExpRefs(repo);
  const nodes: ExpNode[] = [];
  if (!opts.hideWorkspace) {
    nodes.push({
      rev: "workspace",
      name: null,
      data: revData(repo, WORKSPACE, null, opts.paramDeps),
      error: null,
      experiments: null,
    });
  }
  const q = queueRanges(repo, opts);
  const shas = baselines(repo, opts);
  const names = opts.shaOnly ? new Map<string, string | null>() : describeRevs(repo, shas);
  for (const sha of shas) {
    const successful: ExpRange[] = exps.filter((e) => e.baseline === sha).map((e) => ({
      revs: [{
        rev: e.sha,
        name: e.name,
        data: revData(repo, { key: e.name, sha: e.sha }, isoLocal(e.timestamp), opts.paramDeps),
        error: null,
        experiments: null,
      }],
      executor: q.success.get(e.ref) ?? null,
      name: e.name,
    }));
    const groups = [q.running, successful, q.queued, q.failed].map((g) =>
      sortRanges(g === successful ? g : (g as Map<string, ExpRange[]>).get(sha) ?? [])
    );
    const children = groups.flat();
    nodes.push({
      rev: sha,
      name: names.get(sha) ?? null,
      // DVC collects baselines without `param_deps` (all their params show)
      data: revData(repo, { key: sha, sha }, isoLocal(commitTime(repo, sha))),
      error: null,
      experiments: children.length ? children : null,
    });
  }
  return nodes;
}

/** Queued, running and failed experiments by baseline; executors of successful ones by ref. */
function queueRanges(repo: Repo, opts: ExpShowOptions) {
  const queued = new Map<string, ExpRange[]>();
  const running = new Map<string, ExpRange[]>();
  const failed = new Map<string, ExpRange[]>();
  const success = new Map<string, ExpExecutorJson>();
  const push = (m: Map<string, ExpRange[]>, baseline: string, r: ExpRange) =>
    m.set(baseline, [...(m.get(baseline) ?? []), r]);
  const state = (row: QueueStatusRow, failedRun: boolean): ExpRange => ({
    revs: [{
      rev: row.rev,
      name: row.name,
      data: revData(
        repo,
        { key: row.rev, sha: row.rev },
        isoLocal(row.timestamp),
        opts.paramDeps,
      ),
      error: failedRun ? { msg: "Experiment run failed", type: "" } : null,
      experiments: null,
    }],
    executor: null,
    name: row.name,
  });
  // DVC fills `local` from dvc_task's process record (pid, log, exit code)
  const local = (row: QueueStatusRow, root: string | null = null) => {
    const p = row.status === "Queued" ? undefined : readProcInfo(repo, row.rev);
    return {
      root,
      log: p?.stdout ?? null,
      pid: p?.pid ?? null,
      returncode: root === null ? p?.returncode ?? null : null,
      task_id: row.rev,
    };
  };
  // a workspace `exp run` in progress (DVC's WorkspaceQueue.collect_active_data)
  const ws = activeWorkspaceRun(repo);
  if (ws) {
    push(running, ws.info.baseline_rev, {
      revs: [{
        rev: "workspace",
        name: ws.info.name,
        data: revData(repo, WORKSPACE, null, opts.paramDeps),
        error: null,
        experiments: null,
      }],
      executor: {
        state: "running",
        name: "workspace",
        local: { root: ws.info.root_dir, log: null, pid: ws.pid, returncode: null, task_id: null },
      },
      name: ws.info.name,
    });
  }
  for (const row of queueStatus(repo)) {
    if (row.status === "Queued" && !opts.hideQueued) {
      const r = state(row, false);
      r.executor = { state: "queued", name: "dvc-task", local: local(row) };
      push(queued, row.baselineRev, r);
    } else if (row.status === "Running") {
      const r = state(row, false);
      // live data from the run's temporary workspace, as DVC reads its executor's
      const root = row.info?.root_dir;
      if (root) {
        try {
          const exec = openRepo(join(root, row.info!.wdir ?? "."), { cwd: root });
          r.revs[0].data = revData(exec, WORKSPACE, null, opts.paramDeps);
        } catch (err) {
          // the worktree is being set up or removed: the queued state
          if (!(err instanceof CairnError)) ignoreNotFound(err);
        }
      }
      r.executor = { state: "running", name: "dvc-task", local: local(row, root ?? null) };
      push(running, row.baselineRev, r);
    } else if (row.status === "Failed" && !opts.hideFailed) {
      const r = state(row, true);
      r.executor = { state: "failed", name: null, local: local(row) };
      push(failed, row.baselineRev, r);
    } else if (row.status === "Success" && row.info?.result_ref) {
      success.set(row.info.result_ref, {
        state: "success",
        name: "dvc-task",
        local: local(row),
      });
    }
  }
  return { queued, running, failed, success };
}

export interface ExpListGroup {
  baseline: string;
  /** branch name or short sha. */
  label: string;
  exps: ExpRef[];
}

/** `exp list`: experiments of HEAD (or of every baseline with `all`). */
export function listExperiments(repo: Repo, opts: { all?: boolean } = {}): ExpListGroup[] {
  const exps = listExpRefs(repo);
  const head = headShaIfAny(repo);
  const bases: string[] = [];
  if (head) bases.push(head);
  if (opts.all) { for (const e of exps) if (!bases.includes(e.baseline)) bases.push(e.baseline); }
  const groups: ExpListGroup[] = [];
  for (const b of bases) {
    const list = exps.filter((e) => e.baseline === b);
    if (!list.length) continue;
    groups.push({ baseline: b, label: baselineName(repo, b) ?? b.slice(0, 7), exps: list });
  }
  return groups;
}
