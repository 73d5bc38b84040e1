/**
 * `exp show` / `exp list` data (dvc-spec §14.3): the workspace, baseline
 * commits and their experiments, each with params, metrics, deps and outs.
 * The JSON shape is DVC's (`dvc exp show --json`); rendering is in the CLI.
 */
import type { Repo } from "../repo.ts";
import { openRevision, type Revision, stageOutPath, WORKSPACE } from "../revisions.ts";
import { metricsAt } from "../metrics/show.ts";
import { paramsAt } from "../params/show.ts";
import type { FileResult, RevisionResult } from "../metrics/show.ts";
import { type ExpRef, gitEnv, headSha, listExpRefs, scmRootOf } from "./refs.ts";

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

export interface ExpNode {
  rev: string;
  name: string | null;
  data: RevData;
  error: { type: string; msg: string } | null;
  experiments: { revs: ExpNode[]; executor: null; name: string }[] | null;
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

function revData(repo: Repo, rev: Revision, timestamp: string | null): RevData {
  const view = openRevision(repo, rev);
  const data: RevData = {
    rev: rev.sha ?? "workspace",
    timestamp,
    params: filesJson(paramsAt(view)),
    metrics: filesJson(metricsAt(view)),
    deps: {},
    outs: {},
    meta: {},
  };
  try {
    for (const stage of view.index().stages) {
      for (const d of stage.deps) {
        const p = stageOutPath(stage, d.path);
        if (p in data.deps) continue;
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
          is_data_source: stage.kind === "dvcfile" && stage.deps.length === 0,
        };
      }
    }
  } catch { /* a broken stage file: params/metrics still shown */ }
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

export interface ExpShowOptions {
  /** `-a`: the tips of all branches as baselines too. */
  allBranches?: boolean;
  /** `-A`: every commit that has experiments. */
  allCommits?: boolean;
}

/** Baseline shas to show: HEAD, then the selected ones. */
function baselines(repo: Repo, opts: ExpShowOptions, exps: ExpRef[]): string[] {
  const out: string[] = [];
  const add = (s: string) => {
    if (!out.includes(s)) out.push(s);
  };
  try {
    add(headSha(repo));
  } catch { /* no commits: the workspace alone */ }
  const cwd = scmRootOf(repo);
  if (opts.allBranches) {
    for (
      const l of gitEnv(["for-each-ref", "--format=%(objectname)", "refs/heads"], cwd).split("\n")
    ) {
      if (l) add(l);
    }
  }
  if (opts.allCommits) { for (const e of exps) add(e.baseline); }
  return out;
}

/** The `exp show --json` document. */
export function showExperiments(repo: Repo, opts: ExpShowOptions = {}): ExpNode[] {
  const exps = listExpRefs(repo);
  const nodes: ExpNode[] = [{
    rev: "workspace",
    name: null,
    data: revData(repo, WORKSPACE, null),
    error: null,
    experiments: null,
  }];
  for (const sha of baselines(repo, opts, exps)) {
    const children = exps.filter((e) => e.baseline === sha);
    nodes.push({
      rev: sha,
      name: baselineName(repo, sha),
      data: revData(repo, { key: sha, sha }, isoLocal(commitTime(repo, sha))),
      error: null,
      experiments: children.length
        ? children.map((e) => ({
          revs: [{
            rev: e.sha,
            name: e.name,
            data: revData(repo, { key: e.name, sha: e.sha }, isoLocal(e.timestamp)),
            error: null,
            experiments: null,
          }],
          executor: null,
          name: e.name,
        }))
        : null,
    });
  }
  return nodes;
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
  let head: string | undefined;
  try {
    head = headSha(repo);
  } catch { /* no commits */ }
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
