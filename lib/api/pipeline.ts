/**
 * Pipelines for library users: define, edit and remove stages (dvc.yaml is
 * written through the comment-preserving editor, lib/dvcfile/pipeline_edit.ts),
 * reproduce with per-stage results and progress callbacks, status, and the
 * params/metrics/plots helpers stage scripts use.
 */
import { impl, type Repo } from "./repo.ts";
import { stageAdd as stageAddImpl } from "../repo/stage_add.ts";
import { removeStage as removeStageImpl } from "../dvcfile/pipeline_edit.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { collectStages } from "../repo/collect.ts";
import { reproduce as reproduceImpl, type ReproEvent } from "../repo/reproduce.ts";
import { status as statusImpl, statusJson } from "../repo/status.ts";
import {
  logMetrics as logMetricsImpl,
  logPlotPoint as logPlotPointImpl,
  readParams as readParamsImpl,
} from "../repo/stage_io.ts";
import { stageAddress } from "../stage/types.ts";
import { StageNotFoundError } from "../errors.ts";

/** A stage definition for `stageAdd` (the flags of `cairn stage add`). */
export interface StageDefinition {
  /** the stage's name in dvc.yaml. */
  name: string;
  /** the command line to run. */
  cmd: string;
  /** files or folders the command reads. */
  deps?: string[];
  /** params it depends on: `lr,epochs` (params.yaml) or `file.yaml:key1,key2`. */
  params?: string[];
  /** outputs stored in the cache. */
  outs?: string[];
  /** outputs kept in git instead of the cache. */
  outsNoCache?: string[];
  /** metrics files (cached). */
  metrics?: string[];
  /** metrics files kept in git. */
  metricsNoCache?: string[];
  /** plots files or folders (cached). */
  plots?: string[];
  /** plots kept in git. */
  plotsNoCache?: string[];
  /** the command's working directory, relative to the repo's cwd. */
  wdir?: string;
  /** description. */
  desc?: string;
  /** replace a stage of the same name (its other keys, comments and position are kept). */
  force?: boolean;
}

/** What `stageAdd` wrote. */
export interface StageAddResult {
  /** repo-relative dvc.yaml written. */
  file: string;
  /** the file did not exist before. */
  created: boolean;
  /** an existing stage was replaced (`force`). */
  replaced: boolean;
  /** files to `git add` (absolute). */
  gitFiles: string[];
}

/**
 * `cairn stage add`: define a stage (or, with `force`, redefine one) in the
 * dvc.yaml of the repo's cwd. Comments and the layout of everything else in
 * the file are kept.
 *
 * @example Define a stage and reproduce it
 * ```ts
 * import { init, openRepo, reproduce, stageAdd } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * init(dir, { noScm: true });
 * const repo = openRepo(dir, { cwd: dir });
 * await stageAdd(repo, { name: "hello", cmd: "echo hi > out.txt", outs: ["out.txt"] });
 * const r = await reproduce(repo);
 * console.log(r.stages.map((s) => `${s.name}: ${s.status}`)); // ["hello: ran"]
 * ```
 */
export async function stageAdd(repo: Repo, def: StageDefinition): Promise<StageAddResult> {
  const r = await stageAddImpl(impl(repo), {
    name: def.name,
    command: [def.cmd],
    deps: def.deps,
    params: def.params,
    outs: def.outs,
    outsNoCache: def.outsNoCache,
    metrics: def.metrics,
    metricsNoCache: def.metricsNoCache,
    plots: def.plots,
    plotsNoCache: def.plotsNoCache,
    wdir: def.wdir,
    desc: def.desc,
    force: def.force,
  });
  return { file: r.file, created: r.created, replaced: r.replaced, gitFiles: r.gitFiles };
}

/**
 * Remove stage `name` from a dvc.yaml (default the repo root's) and its
 * dvc.lock entry, keeping the rest of the file as it is. Throws
 * `StageNotFoundError` when there is no such stage.
 *
 * @example
 * ```ts ignore
 * import { openRepo, removeStage } from "@cairn/cairn";
 * await removeStage(openRepo("."), "train");
 * ```
 */
export async function removeStage(repo: Repo, name: string, file = "dvc.yaml"): Promise<void> {
  const r = impl(repo);
  const lock = await acquireRepoLock(repoLockPath(r.dvcDir));
  try {
    if (!removeStageImpl(r.root, file, name)) throw new StageNotFoundError(`${file}:${name}`);
  } finally {
    lock.release();
  }
}

/** A stage as `listStages` gives it. */
export interface StageSummary {
  /** how to address it: `train`, `sub/dvc.yaml:train`, `data.csv.dvc`. */
  address: string;
  /** the command (absent for `.dvc` files). */
  cmd?: string | string[];
  /** dependency paths. */
  deps: string[];
  /** output paths (outs, metrics and plots). */
  outs: string[];
  /** frozen stages are not reproduced. */
  frozen: boolean;
}

/**
 * Every stage of the repository (dvc.yaml stages and `.dvc` files).
 *
 * @example
 * ```ts ignore
 * import { listStages, openRepo } from "@cairn/cairn";
 * for (const s of listStages(openRepo("."))) console.log(s.address, s.deps);
 * ```
 */
export function listStages(repo: Repo): StageSummary[] {
  return collectStages(impl(repo), { fresh: true }).stages.map((s) => ({
    address: stageAddress(s),
    ...(s.cmd !== undefined ? { cmd: s.cmd } : {}),
    deps: s.deps.map((d) => d.path),
    outs: s.outs.map((o) => o.path),
    frozen: s.frozen,
  }));
}

/** Progress of `reproduce`, one call per step of a stage. */
export interface StageProgress {
  /** the stage's address. */
  stage: string;
  /**
   * `running` (its command starts), `command` (one command line), `cached`
   * (restored from the run-cache), `skipped` (unchanged), `failed`.
   */
  event: "running" | "command" | "cached" | "skipped" | "failed";
  /** the command line, for `command`. */
  cmd?: string;
}

/** Options of `reproduce`. */
export interface ReproduceOptions {
  /** run every planned stage even if unchanged (`-f`). */
  force?: boolean;
  /** only the targets, not their upstream (`-s`). */
  singleItem?: boolean;
  /** stages running at once (`-j`, default 1). */
  jobs?: number;
  /** on a failure, skip only its dependents and finish the rest (`-k`). */
  keepGoing?: boolean;
  /** report what would run, change nothing. */
  dryRun?: boolean;
  /** fetch missing data from the remote first (`--pull`). */
  pull?: boolean;
  /** never restore outputs from the run-cache. */
  noRunCache?: boolean;
  /** called as stages start, run commands, are skipped or fail. */
  onProgress?: (progress: StageProgress) => void;
  /** receives the commands' output (default: they write to this process's stdout/stderr). */
  onOutput?: (stage: string, stream: "stdout" | "stderr", data: Uint8Array) => void;
  /** stops the run (the running commands are killed). */
  signal?: AbortSignal;
}

/** What happened to one stage. */
export interface StageResult {
  /** the stage's address. */
  name: string;
  /**
   * `ran`, `restored` (run-cache), `verified`, `unchanged`, `failed`,
   * `skipped` (upstream failed) or `not-run` (dry run).
   */
  status: string;
  /** why it failed. */
  error?: string;
}

/** What `reproduce` did. */
export interface ReproduceResult {
  /** every planned stage, in run order. */
  stages: StageResult[];
  /** files to `git add` (absolute): dvc.lock, .gitignore. */
  gitFiles: string[];
}

function progressOf(e: ReproEvent): StageProgress | undefined {
  switch (e.type) {
    case "running":
      return { stage: e.address, event: "running" };
    case "command":
      return { stage: e.address, event: "command", cmd: e.cmd };
    case "cached":
      return { stage: e.address, event: "cached" };
    case "skip":
      return { stage: e.address, event: "skipped" };
    case "failed":
      return { stage: e.address, event: "failed" };
  }
  return undefined;
}

/**
 * `cairn repro`: bring the pipeline's outputs up to date (all stages when no
 * targets are given). A failing stage throws `ReproductionError` unless
 * `keepGoing`, where its result says `failed`.
 *
 * @example Progress as it happens
 * ```ts ignore
 * import { openRepo, reproduce } from "@cairn/cairn";
 * const r = await reproduce(openRepo("."), [], {
 *   jobs: 2,
 *   onProgress: (p) => console.log(p.stage, p.event),
 * });
 * console.log(r.stages.filter((s) => s.status === "ran").map((s) => s.name));
 * ```
 */
export async function reproduce(
  repo: Repo,
  targets: string[] = [],
  opts: ReproduceOptions = {},
): Promise<ReproduceResult> {
  const r = await reproduceImpl(impl(repo), targets, {
    force: opts.force,
    singleItem: opts.singleItem,
    jobs: opts.jobs,
    keepGoing: opts.keepGoing,
    dryRun: opts.dryRun,
    pull: opts.pull,
    noRunCache: opts.noRunCache,
    signal: opts.signal,
    onEvent: opts.onProgress
      ? (e) => {
        const p = progressOf(e);
        if (p) opts.onProgress!(p);
      }
      : undefined,
    onOutput: opts.onOutput,
  });
  return {
    stages: r.stages.map((s) => ({
      name: s.address,
      status: s.status,
      ...(s.error !== undefined
        ? { error: s.error instanceof Error ? s.error.message : String(s.error) }
        : {}),
    })),
    gitFiles: r.gitFiles,
  };
}

/**
 * `cairn status`: changed stages, as `status --json` prints them
 * (`{address: [what changed, ...]}`; empty when everything is up to date).
 *
 * @example
 * ```ts ignore
 * import { openRepo, status } from "@cairn/cairn";
 * const changed = await status(openRepo("."));
 * console.log(Object.keys(changed).length === 0 ? "up to date" : changed);
 * ```
 */
export async function status(
  repo: Repo,
  targets: string[] = [],
): Promise<Record<string, unknown[]>> {
  return statusJson(await statusImpl(impl(repo), targets));
}

/**
 * Params of a file (default `params.yaml`), or the value at a dotted key.
 * For stage scripts: the same files `params:` deps point at.
 *
 * @example
 * ```ts
 * import { readParams } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * Deno.writeTextFileSync(`${dir}/params.yaml`, "train:\n  lr: 0.1\n");
 * console.log(readParams(`${dir}/params.yaml`, "train.lr")); // 0.1
 * ```
 */
export function readParams(path = "params.yaml", key?: string): unknown {
  return readParamsImpl(path, key);
}

/**
 * Write metrics (nested objects allowed) to a JSON, YAML or TOML file,
 * atomically; with `merge`, keys already in a JSON file are kept.
 *
 * @example
 * ```ts
 * import { logMetrics } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * logMetrics(`${dir}/metrics.json`, { acc: 0.93, loss: { train: 0.2 } });
 * ```
 */
export function logMetrics(
  path: string,
  values: Record<string, unknown>,
  opts: { merge?: boolean } = {},
): void {
  logMetricsImpl(path, values, opts);
}

/**
 * Append one row to a plot data file (`.csv`, `.tsv` or a `.json` list),
 * writing the header first.
 *
 * @example
 * ```ts
 * import { logPlotPoint } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * for (const [step, loss] of [[0, 0.9], [1, 0.5]]) {
 *   logPlotPoint(`${dir}/loss.csv`, { step, loss });
 * }
 * ```
 */
export function logPlotPoint(path: string, row: Record<string, number | string>): void {
  logPlotPointImpl(path, row);
}
