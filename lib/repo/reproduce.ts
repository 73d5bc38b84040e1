/**
 * `repro` (dvc-spec §10.3/§10.4, DVC `dvc/repo/reproduce.py` and
 * `Stage.reproduce/run`): plan the stages, then for each one decide whether
 * it changed, restore it from the run-cache or run its command, commit its
 * outputs and write its dvc.lock entry right away, so the lock always
 * describes exactly the completed stages. With `jobs > 1` independent
 * stages run at once; results (lock, cache, run-cache) are the same as
 * with one job: new lock entries keep the serial plan order.
 *
 * This module plans and decides; what a changed stage needs (checkout,
 * links, run-cache, lock writes, the runner) is in `_repro_stage.ts`, loaded
 * when the first stage turns out to need it, so a no-op repro does not load
 * it (issue 16: start-up cost grows with the modules loaded).
 */
import { isUrl, relative } from "../path.ts";
import { CairnError, ExitCode, InterruptedError, ReproductionError } from "../errors.ts";
import { acquireRepoLock, type RepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { interruptSignal, onInterrupt } from "../interrupt.ts";
import { spanAsync } from "../trace.ts";
import { buildGraph, pathKey, type StageGraph } from "../pipeline/graph.ts";
import { executeJobs, type JobLease, type OnError } from "../pipeline/execute.ts";
import { planDependencies, planRepro } from "../pipeline/plan.ts";
import type { StageRunOptions } from "../pipeline/run_stage.ts";
import type { PullOptions } from "./pull.ts";
import { gitAdd } from "../scm/git.ts";
import type { Stage } from "../stage/types.ts";
import { configBool } from "../config/config.ts";
import { collectStages, collectTargets, invalidateIndex, stageAbsPath } from "./collect.ts";
import type { Repo } from "./repo.ts";
import { addressing, stageChanged, StatusContext } from "./status.ts";
import type { LockWriter } from "./_repro_stage.ts";
import { lexists } from "../fs/stat_or_null.ts";

/** What a changed stage needs: loaded on first use (a literal specifier: `deno compile` embeds it). */
let stageModule: Promise<typeof import("./_repro_stage.ts")> | undefined;
function stageRunner() {
  stageModule ??= import("./_repro_stage.ts");
  return stageModule;
}

/** Something `repro` reports while it works (the CLI prints these as DVC does). */
export type ReproEvent =
  | { type: "separator" }
  | { type: "frozen"; address: string }
  | { type: "skip"; address: string; dataSource: boolean }
  | { type: "cached"; address: string }
  | { type: "running"; address: string }
  | { type: "command"; address: string; cmd: string }
  | { type: "verify"; address: string; what: "data sources" | "outputs" }
  | { type: "lock"; file: string; generated: boolean; updated: boolean }
  | { type: "failed"; address: string; error: unknown }
  | { type: "skip-failed-upstream"; address: string; upstream: string }
  | { type: "pull"; address: string }
  | { type: "pull-failed"; address: string };

export interface ReproOptions {
  /** `-f`: run every planned stage. */
  force?: boolean;
  /** `-s`: only the targets. */
  singleItem?: boolean;
  /** `-p`: the whole pipelines of the targets. */
  pipeline?: boolean;
  /** `-P`: every pipeline of the repo. */
  allPipelines?: boolean;
  /** `-R`: targets are directories. */
  recursive?: boolean;
  /** `--downstream`: targets and their dependents only. */
  downstream?: boolean;
  /** `--force-downstream`: force the dependents of a stage that ran. */
  forceDownstream?: boolean;
  /** `--glob`: target names are patterns. */
  glob?: boolean;
  /** `--dry`: report only, change nothing. */
  dryRun?: boolean;
  /** `-i`: ask before each stage (via `confirm`). */
  interactive?: boolean;
  confirm?: (question: string) => boolean | Promise<boolean>;
  /** `-k`: on failure skip the dependents, finish the rest, fail at the end. */
  keepGoing?: boolean;
  /** `--ignore-errors`: go on even with the dependents. */
  ignoreErrors?: boolean;
  /** `--allow-missing`: missing outputs / deleted deps don't make a stage changed. */
  allowMissing?: boolean;
  /** `--pull`: fetch missing data (outputs of otherwise unchanged stages, missing deps). */
  pull?: boolean;
  /** `--no-commit`: don't store outputs in the cache (no run-cache either). */
  noCommit?: boolean;
  /** `--no-run-cache`: never restore from the run-cache. */
  noRunCache?: boolean;
  /** `-j N`: stages running at once (default 1). Not the transfers of `--pull`: see `transferJobs`. */
  jobs?: number;
  /**
   * `--pull`: object batches in flight (default: the remote's `jobs`, else
   * DVC's 4 x cores). A separate value from `jobs`, which counts stages.
   */
  transferJobs?: number;
  signal?: AbortSignal;
  onEvent?: (event: ReproEvent) => void;
  /**
   * Where stage command output goes. Undefined: the commands inherit the
   * terminal (fine with one job); the CLI passes a prefixing sink for -j > 1.
   */
  onOutput?: (address: string, stream: "stdout" | "stderr", data: Uint8Array) => void;
  /**
   * Stage files (repo-relative) just created by `run` without hashes: written
   * afresh after the run instead of being updated in place.
   */
  freshFiles?: string[];
  /** flush a partial line of a stage's output after its last command. */
  onOutputEnd?: (address: string) => void;
  /** `--gpus N`: the machine's GPUs for `meta.resources` (default: `nvidia-smi -L`). */
  gpus?: number;
  /** sandbox policy, --explain-inputs and their reports (lib/pipeline/run_stage.ts). */
  stageRun?: StageRunOptions;
}

export type StageOutcomeStatus =
  | "ran"
  | "restored"
  | "verified"
  | "unchanged"
  | "failed"
  | "skipped"
  | "not-run";

export interface StageOutcome {
  stage: Stage;
  address: string;
  status: StageOutcomeStatus;
  error?: unknown;
}

export interface ReproResult {
  /** every planned stage in plan order with what happened to it. */
  stages: StageOutcome[];
  /** stages that ran, were restored or re-verified (DVC's returned list). */
  changed: Stage[];
  /** files for `git add` (absolute): changed .gitignore, dvc.lock, .dvc files. */
  gitFiles: string[];
  autostaged: boolean;
}

/** A dependency is missing and no stage produces it. */
export class MissingDependencyError extends CairnError {
  constructor(readonly path: string, readonly stage: string, readonly file: string) {
    super(
      `dependency '${path}' of stage '${stage}' (${file}) does not exist and no stage produces it`,
      { exitCode: ExitCode.other },
    );
  }
}

/** DVC `_enforce_cmd_list` (str.splitlines for a string). */
export function commandLines(cmd: string | string[] | undefined): string[] {
  if (cmd === undefined) return [];
  if (Array.isArray(cmd)) return cmd;
  const lines = cmd.split(/\r\n|\r|\n/);
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** What the stages of one `repro` share (also used by `_repro_stage.ts`). */
export interface RunState {
  repo: Repo;
  opts: ReproOptions;
  graph: StageGraph;
  /** the planned stages (indices into graph.stages) in plan order. */
  plan: number[];
  status: StatusContext;
  /** dvc.lock writes: made when the first stage is recorded (`_repro_stage.ts`). */
  locks?: LockWriter;
  gitFiles: Set<string>;
  emit: (e: ReproEvent) => void;
  signal: AbortSignal;
  capture: boolean;
  /**
   * Refusals before any stage command runs or any output is removed (bad
   * meta.sandbox, a sandbox that cannot be enforced here): checked once, when
   * the first stage turns out to need running (a no-op repro skips it).
   */
  preflight?: Promise<void>;
  /** the preflight's error: not a stage failure, the whole run is refused. */
  preflightError?: unknown;
  /** run `fn` with the repo lock released (pull/checkout take it themselves). */
  unlocked: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** What `repro --pull` asks of `pull`: transfer jobs are the remote's, not repro's `-j`. */
export function pullOptionsFor(opts: ReproOptions): PullOptions {
  return { jobs: opts.transferJobs };
}

function isImport(stage: Stage): boolean {
  return stage.kind === "dvcfile" && stage.cmd === undefined && stage.deps.length > 0;
}

/** DVC `Stage.reproduce` + `Stage.run` for one stage; true when it "changed". */
async function reproduceStage(
  st: RunState,
  stage: Stage,
  address: string,
  planPos: number,
  force: boolean,
  env?: Record<string, string>,
): Promise<StageOutcomeStatus> {
  if (stage.frozen && !isImport(stage)) st.emit({ type: "frozen", address });
  if (!force) {
    const changed = await spanAsync(
      "repro.changed?",
      () => stageChanged(st.status, stage, { allowMissing: st.opts.allowMissing }),
    );
    if (!changed) {
      st.emit({
        type: "skip",
        address,
        dataSource: stage.kind === "dvcfile" && stage.cmd === undefined,
      });
      return "unchanged";
    }
  }
  const { reproduceChanged } = await stageRunner();
  return await reproduceChanged(st, stage, planPos, force, env);
}

/** Deps that neither exist nor are produced by a stage: refused before anything runs. */
function checkMissingInputs(repo: Repo, graph: StageGraph, plan: number[]): void {
  for (const i of plan) {
    const stage = graph.stages[i];
    if (stage.frozen || commandLines(stage.cmd).length === 0) continue;
    // what upstream stages produce: only looked at for a path that is missing (rare)
    const produced = (key: string) => {
      for (const u of graph.upstream[i]) {
        for (const o of graph.stages[u].outs) {
          const p = pathKey(graph.stages[u], o.path);
          if (p === key || key.startsWith(p + "/") || p.startsWith(key + "/")) return true;
        }
      }
      return false;
    };
    const paths = [
      ...stage.deps.filter((d) => !d.repo && !isUrl(d.path)).map((d) => d.path),
      ...stage.params.map((p) => p.file),
    ];
    for (const p of paths) {
      const abs = stageAbsPath(repo, stage, p);
      if (lexists(abs) || produced(pathKey(stage, p))) continue;
      throw new MissingDependencyError(
        relative(repo.cwd, abs) || ".",
        addressing(repo, stage),
        stage.file,
      );
    }
  }
}

function failureError(
  repo: Repo,
  graph: StageGraph,
  plan: number[],
  failed: number[],
  errors: Map<number, unknown>,
): ReproductionError {
  if (failed.length === 1) {
    const cause = errors.get(failed[0]);
    const address = addressing(repo, graph.stages[plan[failed[0]]]);
    const detail = cause instanceof Error ? `: ${cause.message}` : "";
    return new ReproductionError(`failed to reproduce '${address}'${detail}`, {
      cause,
      exitCode: ExitCode.other,
    });
  }
  const names = failed.map((f) => `'${addressing(repo, graph.stages[plan[f]])}'`).join(", ");
  return new ReproductionError(`failed to reproduce stages: ${names}`, {
    exitCode: ExitCode.other,
  });
}

/** Plan only (`repro --dry` without running anything, `dag`-like previews, tests). */
export function planStages(
  repo: Repo,
  targets: readonly string[],
  opts: ReproOptions = {},
): { graph: StageGraph; plan: number[] } {
  const index = collectStages(repo);
  const graph = buildGraph(index.stages);
  const picked = opts.allPipelines
    ? []
    : collectTargets(repo, targets, { recursive: opts.recursive, glob: opts.glob });
  const ids = picked.map((s) => graph.indexOf.get(s)!);
  if (!opts.allPipelines && ids.length === 0) return { graph, plan: [] };
  const plan = planRepro(graph, ids, {
    singleItem: opts.singleItem,
    pipeline: opts.pipeline,
    allPipelines: opts.allPipelines,
    downstream: opts.downstream,
  });
  return { graph, plan };
}

/**
 * The scheduler's resource gate (lib/pipeline/resources.ts) when some planned
 * stage declares `meta.resources`; a request the machine can never meet
 * fails here, before anything runs. The modules load only for such a stage.
 */
async function resourceGate(
  repo: Repo,
  graph: StageGraph,
  plan: number[],
  opts: ReproOptions,
): Promise<((pos: number) => JobLease | null) | undefined> {
  const declares = (s: Stage) => {
    const meta = s.meta as { resources?: unknown } | undefined;
    return !!meta && typeof meta === "object" && meta.resources != null;
  };
  if (!plan.some((i) => declares(graph.stages[i]))) return undefined;
  const [
    { checkFits, machineResources, stageResources, tryAcquire },
    runners,
    { loadCairnConfig },
  ] = await Promise.all([
    import("../pipeline/resources.ts"),
    import("../pipeline/runner_choice.ts"),
    import("../config/cairn_config.ts"),
  ]);
  let requests = plan.map((i) =>
    stageResources(graph.stages[i], `stage '${addressing(repo, graph.stages[i])}'`)
  );
  if (!requests.some(Boolean)) return undefined;
  // a batch runner's stages get their resources from the cluster's scheduler, not this machine
  const projectRunner = loadCairnConfig(repo.root).runner;
  requests = requests.map((r, pos) =>
    r &&
      runners.isBatchRunner(
        runners.chosenRunner(graph.stages[plan[pos]], opts.stageRun?.runner, projectRunner),
      )
      ? undefined
      : r
  );
  if (!requests.some(Boolean)) return undefined;
  const machine = machineResources({ gpus: opts.gpus });
  requests.forEach((r, pos) => {
    if (r) checkFits(r, machine, `stage '${addressing(repo, graph.stages[plan[pos]])}'`);
  });
  return (pos) => {
    const r = requests[pos];
    return r ? tryAcquire(r, machine) : { release: () => {} };
  };
}

/** `repro [targets]`. Throws ReproductionError (exit 255) when a stage failed. */
export async function reproduce(
  repo: Repo,
  targets: readonly string[] = [],
  opts: ReproOptions = {},
): Promise<ReproResult> {
  let lock: RepoLock | undefined = await acquireRepoLock(repoLockPath(repo.dvcDir));
  // Ctrl-C must wait for us: the stage commands' process groups are stopped
  // (abort listeners) and the lock keeps only the stages that completed.
  const unregister = onInterrupt(() => {});
  let running: RunState | undefined;
  try {
    invalidateIndex(repo);
    const { graph, plan } = planStages(repo, targets, opts);
    if (!opts.allowMissing) checkMissingInputs(repo, graph, plan);
    const jobs = Math.max(1, opts.jobs ?? 1);
    const signal = opts.signal ?? interruptSignal;
    let unlockedCount = 0;
    const unlocked = async <T>(fn: () => Promise<T>): Promise<T> => {
      if (unlockedCount++ === 0) {
        lock?.release();
        lock = undefined;
      }
      try {
        return await fn();
      } finally {
        if (--unlockedCount === 0) {
          lock = await spanAsync(
            "repro.repo lock re-acquire",
            () => acquireRepoLock(repoLockPath(repo.dvcDir)),
          );
        }
      }
    };
    const st: RunState = running = {
      unlocked,
      repo,
      opts,
      graph,
      plan,
      status: new StatusContext(repo),
      gitFiles: new Set(),
      emit: (e) => opts.onEvent?.(e),
      signal,
      // with one job the commands inherit the terminal unless output is redirected (queue logs)
      capture: jobs > 1 || opts.onOutput !== undefined,
    };
    const outcomes: StageOutcome[] = plan.map((i) => ({
      stage: graph.stages[i],
      address: addressing(repo, graph.stages[i]),
      status: "not-run",
    }));
    const errors = new Map<number, unknown>();
    let previousChanged = false;
    const onError: OnError = opts.ignoreErrors ? "ignore" : opts.keepGoing ? "keep-going" : "fail";
    const tryStart = opts.dryRun ? undefined : await resourceGate(repo, graph, plan, opts);
    const exec = await executeJobs(
      plan.length,
      planDependencies(graph, plan),
      async (pos, ctx) => {
        if (jobs === 1 && previousChanged) st.emit({ type: "separator" });
        previousChanged = false;
        const s = await reproduceStage(
          st,
          graph.stages[plan[pos]],
          outcomes[pos].address,
          pos,
          ctx.force,
          ctx.env,
        );
        outcomes[pos].status = s;
        const changed = s !== "unchanged";
        previousChanged = changed;
        return changed;
      },
      {
        jobs,
        onError,
        force: opts.force,
        forceDownstream: opts.forceDownstream,
        signal,
        tryStart,
        onFailure: (pos, error) => {
          errors.set(pos, error);
          outcomes[pos].status = "failed";
          outcomes[pos].error = error;
          if (onError !== "fail") {
            st.emit({ type: "failed", address: outcomes[pos].address, error });
          }
        },
        onSkip: (pos, because) => {
          outcomes[pos].status = "skipped";
          st.emit({
            type: "skip-failed-upstream",
            address: outcomes[pos].address,
            upstream: outcomes[because].address,
          });
        },
      },
    );
    st.locks?.flush(); // before the lock is reported, staged or read by the caller
    if (exec.interrupted) throw new InterruptedError();
    if (st.preflightError) throw st.preflightError;
    for (const o of exec.outcomes) {
      if (o.status === "failed" && o.error instanceof InterruptedError) throw o.error;
    }
    if (exec.failed.length && onError !== "ignore") {
      throw failureError(repo, graph, plan, exec.failed, errors);
    }
    const gitFiles = [...st.gitFiles];
    let autostaged = false;
    if (
      !opts.dryRun && repo.scmRoot && configBool(repo.config.core.autostage) && gitFiles.length
    ) {
      gitAdd(gitFiles, repo.root);
      autostaged = true;
    }
    invalidateIndex(repo);
    return {
      stages: outcomes,
      changed: outcomes.filter((o) => ["ran", "restored", "verified"].includes(o.status)).map((
        o,
      ) => o.stage),
      gitFiles,
      autostaged,
    };
  } finally {
    try {
      running?.locks?.flush(); // an error or ^C: the completed stages' entries still go in
    } catch {
      // the run already failed: its error is the one to report
    }
    unregister();
    lock?.release();
    lock = undefined;
  }
}
