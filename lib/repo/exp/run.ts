/**
 * `exp run` / `exp save` (dvc-spec §14.2): apply `-S` overrides, reproduce in
 * the workspace, commit the result as an experiment of HEAD. The workspace
 * keeps the results; HEAD and the branch do not move.
 */
import { join, relative } from "node:path";
import type { Repo } from "../repo.ts";
import { reproduce, type ReproOptions, type ReproResult } from "../reproduce.ts";
import { collectStages } from "../collect.ts";
import { lockPathFor } from "../../dvcfile/pipeline_file.ts";
import { readLockFile } from "../../dvcfile/lock_file.ts";
import type { Stage } from "../../stage/types.ts";
import { applyOverrides, parseOverride } from "./set_params.ts";
import { markWorkspaceRun, TaskStatus } from "./queue_store.ts";
import {
  checkExpName,
  commitExperiment,
  ExperimentExistsError,
  expExists,
  expHash,
  expRefName,
  headSha,
  randomExpName,
  scmRootOf,
} from "./refs.ts";

export interface ExpRunOptions {
  /** `-S` items as typed. */
  setParams?: string[];
  /** `-n`. */
  name?: string;
  /** `-m`: commit message instead of `dvc: commit experiment <hash>`. */
  message?: string;
  /** `-f`-like overwrite of an existing experiment of the same name (`exp save -f`). */
  force?: boolean;
  repro?: ReproOptions;
  /** called with the chosen name before the pipeline runs. */
  onStart?: (name: string) => void;
}

export interface ExpRunResult {
  name: string;
  ref: string;
  sha: string;
  baseline: string;
  expHash: string;
  repro?: ReproResult;
  paramsFiles: string[];
}

/** `{stage name: lock entry}` of `stages`, read from their dvc.lock files (the exp hash input). */
export function lockEntries(repo: Repo, stages: Stage[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const locks = new Map<string, ReturnType<typeof readLockFile>>();
  for (const s of stages) {
    if (s.kind !== "pipeline") continue;
    const lf = lockPathFor(s.file);
    if (!locks.has(lf)) locks.set(lf, readLockFile(repo.root, lf));
    const entry = locks.get(lf)?.stages.get(s.name);
    if (entry) out[s.name] = entry;
  }
  return out;
}

/** Files of the workspace an experiment commit must carry even when git does not track them yet. */
export function experimentFiles(repo: Repo, paramsFiles: string[], extra: string[]): string[] {
  const files = new Set<string>(paramsFiles);
  for (const s of collectStages(repo, { fresh: true }).stages) {
    if (s.kind === "pipeline") files.add(lockPathFor(s.file));
    for (const o of s.outs) {
      if (!o.cache) files.add(join(s.wdir, o.path));
    }
  }
  const scm = scmRootOf(repo);
  return [...files].map((p) => relative(scm, join(repo.root, p)))
    .concat(extra.map((p) => relative(scm, p)))
    .filter((p) => p && !p.startsWith(".."));
}

function chooseName(repo: Repo, baseline: string, opts: ExpRunOptions): string {
  const cwd = scmRootOf(repo);
  if (opts.name === undefined) return randomExpName(repo, baseline);
  checkExpName(opts.name, cwd);
  if (!opts.force && expExists(repo, baseline, opts.name)) {
    throw new ExperimentExistsError(opts.name);
  }
  return opts.name;
}

/**
 * Stage commands of an experiment see DVC_EXP_BASELINE_REV and DVC_EXP_NAME,
 * as under `dvc exp run` (DVCLive and our Live logger read them).
 */
async function withExpEnv<T>(baseline: string, name: string, fn: () => Promise<T>): Promise<T> {
  const saved = ["DVC_EXP_BASELINE_REV", "DVC_EXP_NAME"].map((k) => [k, Deno.env.get(k)] as const);
  Deno.env.set("DVC_EXP_BASELINE_REV", baseline);
  Deno.env.set("DVC_EXP_NAME", name);
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  }
}

/** `exp run`. Errors in `-S` or the name are raised before anything changes. */
export async function runExperiment(
  repo: Repo,
  targets: readonly string[] = [],
  opts: ExpRunOptions = {},
): Promise<ExpRunResult> {
  const baseline = headSha(repo);
  const name = chooseName(repo, baseline, opts);
  const overrides = (opts.setParams ?? []).map(parseOverride);
  const paramsFiles = applyOverrides(repo.root, overrides);
  opts.onStart?.(name);
  const scm = scmRootOf(repo);
  const done = markWorkspaceRun(repo, {
    git_url: scm,
    baseline_rev: baseline,
    location: "workspace",
    root_dir: scm,
    dvc_dir: relative(scm, repo.dvcDir),
    name,
    wdir: relative(scm, repo.root) || ".",
    result_hash: null,
    result_ref: null,
    result_force: false,
    status: TaskStatus.RUNNING,
  });
  let failed = true;
  let result: ReproResult;
  try {
    result = await withExpEnv(
      baseline,
      name,
      () => reproduce(repo, targets, opts.repro ?? {}),
    );
    failed = false;
  } finally {
    done(failed);
  }
  const hash = expHash(lockEntries(repo, result.changed));
  const sha = commitExperiment(repo, {
    name,
    baseline,
    message: opts.message ?? `dvc: commit experiment ${hash}`,
    extraPaths: experimentFiles(repo, paramsFiles, result.gitFiles),
    force: opts.force,
  });
  return {
    name,
    ref: expRefName(baseline, name),
    sha,
    baseline,
    expHash: hash,
    repro: result,
    paramsFiles,
  };
}

/** `exp save`: the workspace as it is, as an experiment of HEAD. */
export function saveExperiment(repo: Repo, opts: ExpRunOptions = {}): ExpRunResult {
  const baseline = headSha(repo);
  const name = chooseName(repo, baseline, opts);
  const hash = expHash(lockEntries(repo, collectStages(repo, { fresh: true }).stages));
  const sha = commitExperiment(repo, {
    name,
    baseline,
    message: opts.message ?? `dvc: commit experiment ${hash}`,
    extraPaths: experimentFiles(repo, [], []),
    force: opts.force,
  });
  return { name, ref: expRefName(baseline, name), sha, baseline, expHash: hash, paramsFiles: [] };
}
