/**
 * `repro` (dvc-spec §10.3/§10.4, DVC `dvc/repo/reproduce.py` and
 * `Stage.reproduce/run`): plan the stages, then for each one decide whether
 * it changed, restore it from the run-cache or run its command, commit its
 * outputs and write its dvc.lock entry right away, so the lock always
 * describes exactly the completed stages. With `jobs > 1` independent
 * stages run at once; results (lock, cache, run-cache) are the same as
 * with one job: new lock entries keep the serial plan order.
 */
import { dirname, relative } from "../path.ts";
import {
  CairnError,
  ExitCode,
  ignoreNotFound,
  InterruptedError,
  ReproductionError,
} from "../errors.ts";
import { checkoutOutput } from "../cache/checkout.ts";
import { commitOutput } from "../cache/checkout.ts";
import { saveLink } from "./workspace_links.ts";
import { canRunCache, loadRun, runCacheKey, runCacheSavable, saveRun } from "../cache/run_cache.ts";
import {
  formatLockFile,
  type LockData,
  type LockEntry,
  lockEntry,
  type LockEntryTexts,
  parseLockFile,
} from "../dvcfile/lock_file.ts";
import { lockPathFor } from "../dvcfile/pipeline_file.ts";
import { acquireRepoLock, type RepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { hashPath } from "../hash/hash_path.ts";
import { interruptSignal, onInterrupt } from "../interrupt.ts";
import { span, spanAsync } from "../trace.ts";
import { buildGraph, pathKey, type StageGraph } from "../pipeline/graph.ts";
import { executeJobs, type JobLease, type OnError } from "../pipeline/execute.ts";
import { checkFits, machineResources, stageResources, tryAcquire } from "../pipeline/resources.ts";
import { planDependencies, planRepro } from "../pipeline/plan.ts";
import type { OutputSink } from "../pipeline/run_command.ts";
import type { StageRunOptions } from "../pipeline/run_stage.ts";
import { chosenRunner, isBatchRunner } from "../pipeline/runner_choice.ts";
import { loadCairnConfig } from "../config/cairn_config.ts";
import type { PullOptions } from "./pull.ts";
import { gitAdd } from "../scm/git.ts";
import { isPlainMapping, mapEntries, pyEquals } from "../py/value.ts";
import type { HashInfo, Stage } from "../stage/types.ts";
import { configBool } from "../config/config.ts";
import { collectStages, collectTargets, invalidateIndex, stageAbsPath } from "./collect.ts";
import { readStageParams, recordStage } from "./record_stage.ts";
import type { Repo } from "./repo.ts";
import {
  addressing,
  depStatus,
  paramsStatus,
  stageChanged,
  stageItselfChanged,
  StatusContext,
} from "./status.ts";

/** The runner/sandbox layer, loaded only when a stage command actually runs. */
let runStageModule: Promise<typeof import("../pipeline/run_stage.ts")> | undefined;
function runStage() {
  runStageModule ??= import("../pipeline/run_stage.ts");
  return runStageModule;
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

function isUrl(p: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p);
}

function exists(abs: string): boolean {
  try {
    Deno.lstatSync(abs);
    return true;
  } catch (err) {
    ignoreNotFound(err);
    return false;
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

function hashOf(raw: unknown): HashInfo | undefined {
  if (!isPlainMapping(raw) || typeof raw.md5 !== "string" || !raw.md5) return undefined;
  const h: HashInfo = { md5: raw.md5 };
  if (typeof raw.size === "number") h.size = raw.size;
  if (typeof raw.nfiles === "number") h.nfiles = raw.nfiles;
  if (raw.isexec === true) h.isexec = true;
  if (raw.hash === "md5") h.hashName = "md5";
  return h;
}

/**
 * Replace hard/sym links to cache objects by private copies (a persistent
 * output is edited in place). A symlink leading anywhere but the cache is
 * left alone: copying it would read a file the repo pointed at (a hidden one,
 * under the sandbox) on the stage's behalf; the sandbox's output check
 * judges it instead.
 */
function unprotect(abs: string, cacheDir: string): void {
  let st: Deno.FileInfo;
  try {
    st = Deno.lstatSync(abs);
  } catch (err) {
    ignoreNotFound(err);
    return;
  }
  if (st.isDirectory) {
    for (const e of Deno.readDirSync(abs)) unprotect(`${abs}/${e.name}`, cacheDir);
    return;
  }
  if (st.isSymlink) {
    let real: string;
    try {
      real = Deno.realPathSync(abs);
    } catch {
      return; // dangling (or a loop): nothing to copy
    }
    let cache: string;
    try {
      cache = Deno.realPathSync(cacheDir);
    } catch (err) {
      ignoreNotFound(err);
      return; // no cache yet: the link cannot lead into it
    }
    if (real !== cache && !real.startsWith(cache + "/")) return;
  }
  if (!st.isSymlink && (st.nlink ?? 1) <= 1) {
    if (((st.mode ?? 0o644) & 0o200) === 0) Deno.chmodSync(abs, (st.mode ?? 0o444) | 0o200);
    return;
  }
  const tmp = `${abs}.cairn-unprotect.tmp`;
  Deno.copyFileSync(abs, tmp);
  const mode = Deno.statSync(abs).mode ?? 0o644;
  Deno.chmodSync(tmp, (mode & 0o777) | 0o200);
  Deno.renameSync(tmp, abs);
}

function readMaybe(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    ignoreNotFound(err);
    return undefined;
  }
}

function removeOutput(abs: string): void {
  try {
    Deno.removeSync(abs, { recursive: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    // read-only directories from a previous checkout: make writable and retry
    try {
      new Deno.Command("chmod", { args: ["-R", "u+w", abs] }).outputSync();
      Deno.removeSync(abs, { recursive: true });
    } catch {
      throw new CairnError(`unable to remove output '${abs}': ${(err as Error).message}`);
    }
  }
}

/**
 * How long a stage's dvc.lock entry may wait to be written when the
 * run-cache can restore the stage (see LockWriter).
 */
const LOCK_WRITE_DELAY_MS = 250;
/** How long a written dvc.lock may stay unflushed (see LockWriter). */
const LOCK_SYNC_INTERVAL_MS = 1000;

/**
 * Serialises dvc.lock writes; new entries keep the serial plan order.
 *
 * When: DVC rewrites dvc.lock after every stage. Replacing a file costs
 * ~5 ms on ext4 (a rename over an existing file starts the new data's
 * writeback), more than a trivial stage itself, so a stage whose run was
 * just saved in the run-cache has its entry written at most
 * LOCK_WRITE_DELAY_MS later, together with the entries of the stages that
 * finish meanwhile, by a timer that also fires while the next command runs;
 * every other stage's entry is written at once. The end of the run, an
 * error, Ctrl-C and `--pull` (which reads the lock) write everything
 * pending first. So a nested `cairn`/`dvc` in a stage sees the lock at
 * most LOCK_WRITE_DELAY_MS behind, and a cairn killed with SIGKILL can lose
 * the entries of the last LOCK_WRITE_DELAY_MS: those stages are restored
 * from the run-cache by the next repro (their outputs are in the cache),
 * not run again.
 *
 * How: temp file + rename, so the lock on disk is always complete (never
 * torn). Against power loss the lock is flushed (fdatasync of the file,
 * fsync of its folder) at most LOCK_SYNC_INTERVAL_MS after a write and at
 * the end of the run, instead of before every rename. A power loss can
 * thus drop the entries of the last second (restored from the run-cache
 * as above, or run again), and on filesystems that do not order a rename
 * after the data it replaces (XFS, ext4 mounted noauto_da_alloc) leave an
 * empty dvc.lock in that window. DVC itself writes dvc.lock in place,
 * unflushed.
 */
class LockWriter {
  /** each entry's YAML, emitted once (formatLockFile). */
  #texts: LockEntryTexts = new WeakMap();
  /** lock files renamed into place but not yet flushed. */
  #unsynced = new Set<string>();
  #lastSync = performance.now();
  #lastWrite = -Infinity;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** a delayed write that failed (reported by the next write or flush). */
  #error: unknown;
  /** lock file -> stage name -> plan position of entries first written in this run. */
  #added = new Map<string, Map<string, number>>();
  /**
   * lock file -> the text on disk as this writer last saw it, its view of
   * the lock (with the entries not written yet) and those entries.
   */
  #state = new Map<
    string,
    { disk: string | undefined; lock: LockData; pending: Map<string, LockEntry> }
  >();
  constructor(readonly repo: Repo) {}

  /** The lock as on disk now with this run's unwritten entries on top; and the disk text. */
  #current(file: string): { lock: LockData; before: string | undefined } {
    const before = readMaybe(`${this.repo.root}/${file}`);
    const st = this.#state.get(file);
    // entries are replaced, never mutated: a copy of the map is enough
    if (st && st.disk === before) {
      return { lock: { stages: new Map(st.lock.stages), raw: st.lock.raw }, before };
    }
    const lock: LockData = before === undefined || before.trim() === ""
      ? { stages: new Map(), raw: {} }
      : parseLockFile(before, file);
    for (const [name, entry] of st?.pending ?? []) this.#place(file, lock, name, entry);
    return { lock, before };
  }

  /** Replace the entry in place, or insert a new one in plan order. */
  #place(file: string, lock: LockData, name: string, entry: LockEntry): void {
    if (lock.stages.has(name)) {
      lock.stages.set(name, entry);
      return;
    }
    const added = this.#added.get(file);
    const planPos = added?.get(name) ?? Infinity;
    const entries = [...lock.stages];
    let at = entries.length;
    for (let i = 0; i < entries.length; i++) {
      const p = added?.get(entries[i][0]);
      if (p !== undefined && p > planPos) {
        at = i;
        break;
      }
    }
    entries.splice(at, 0, [name, entry]);
    lock.stages = new Map(entries);
  }

  /**
   * Record `stage`'s entry. `delayable`: its run is in the run-cache, so
   * the write may wait (see the class comment).
   */
  write(
    stage: Stage,
    planPos: number,
    delayable = false,
  ): { file: string; generated: boolean; updated: boolean } {
    this.#rethrow();
    const file = lockPathFor(stage.file);
    const { lock, before } = this.#current(file);
    const generated = lock.stages.size === 0 && Object.keys(lock.raw).length === 0;
    const entry = lockEntry(stage);
    const old = lock.stages.get(stage.name);
    const updated = old === undefined || !pyEquals(plain(old), plain(entry));
    if (old === undefined) {
      const added = this.#added.get(file) ?? new Map<string, number>();
      this.#added.set(file, added);
      if (!added.has(stage.name)) added.set(stage.name, planPos);
    }
    this.#place(file, lock, stage.name, entry);
    const text = formatLockFile(lock, this.#texts);
    const pending = new Map(this.#state.get(file)?.pending);
    if (text === before) pending.clear();
    else pending.set(stage.name, entry);
    this.#state.set(file, { disk: before, lock, pending });
    if (pending.size === 0) return { file, generated, updated };
    const wait = this.#lastWrite + LOCK_WRITE_DELAY_MS - performance.now();
    if (!delayable || wait <= 0) this.#writeFile(file);
    else {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        try {
          this.writePending();
        } catch (err) {
          this.#error = err;
        }
      }, wait);
    }
    return { file, generated, updated };
  }

  #rethrow(): void {
    if (this.#error === undefined) return;
    const err = this.#error;
    this.#error = undefined;
    throw err;
  }

  /** Write `file` as this writer sees it (disk changes since are kept, our entries on top). */
  #writeFile(file: string): void {
    const { lock, before } = this.#current(file);
    const text = formatLockFile(lock, this.#texts);
    if (text !== before) {
      const full = `${this.repo.root}/${file}`;
      writeTextAtomic(full, text, { fsync: false });
      this.#unsynced.add(full);
      this.#lastWrite = performance.now();
    }
    this.#state.set(file, { disk: text, lock, pending: new Map() });
    if (performance.now() - this.#lastSync >= LOCK_SYNC_INTERVAL_MS) this.#sync();
  }

  /** Write every entry still waiting (before anything reads the lock). */
  writePending(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [file, st] of this.#state) if (st.pending.size) this.#writeFile(file);
  }

  /** Write what is pending and flush every lock written (file data, then its folder's entry). */
  flush(): void {
    this.#rethrow();
    this.writePending();
    this.#sync();
  }

  #sync(): void {
    const dirs = new Set<string>();
    for (const full of this.#unsynced) {
      syncPath(full, "data");
      dirs.add(dirname(full));
    }
    for (const d of dirs) syncPath(d, "all");
    this.#unsynced.clear();
    this.#lastSync = performance.now();
  }
}

/** fdatasync (a file's data) or fsync (a folder's entries) of `path`. */
function syncPath(path: string, what: "data" | "all"): void {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch (err) {
    ignoreNotFound(err); // removed since (e.g. by the user): nothing to flush
    return;
  }
  try {
    if (what === "data") f.syncDataSync();
    else f.syncSync();
  } finally {
    f.close();
  }
}

function plain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (!isPlainMapping(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of mapEntries(v)) out[String(k)] = plain(x);
  return out;
}

interface RunState {
  repo: Repo;
  opts: ReproOptions;
  graph: StageGraph;
  status: StatusContext;
  locks: LockWriter;
  gitFiles: Set<string>;
  emit: (e: ReproEvent) => void;
  signal: AbortSignal;
  capture: boolean;
  /**
   * Refuse before any stage command runs or any output is removed: bad
   * meta.sandbox, a sandbox that cannot be enforced here. Done once, when
   * the first stage turns out to need running (a no-op repro skips it).
   */
  preflight: () => Promise<void>;
  /** run `fn` with the repo lock released (pull/checkout take it themselves). */
  unlocked: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** What `repro --pull` asks of `pull`: transfer jobs are the remote's, not repro's `-j`. */
export function pullOptionsFor(opts: ReproOptions): PullOptions {
  return { jobs: opts.transferJobs };
}

/** `pull` of some targets through the data layer (lib/repo/pull.ts); false when it failed. */
async function pullData(st: RunState, targets: string[]): Promise<boolean> {
  st.locks.writePending(); // pull reads dvc.lock
  try {
    const { pull } = await import("./pull.ts");
    const r = await st.unlocked(() => pull(st.repo, targets, pullOptionsFor(st.opts)));
    st.status = new StatusContext(st.repo);
    return r.failed.length === 0 && r.missing.length === 0;
  } catch (err) {
    // a pull that fails is a miss (the stage runs or reports missing data); bugs and ^C are not
    if (!(err instanceof CairnError) || err instanceof InterruptedError) throw err;
    return false;
  }
}

/** DVC `_pull_missing_deps`: deps not in the workspace are pulled before the run. */
async function pullMissingDeps(st: RunState, stage: Stage): Promise<void> {
  for (const d of stage.deps) {
    if (d.repo || isUrl(d.path)) continue;
    const abs = stageAbsPath(st.repo, stage, d.path);
    if (!exists(abs)) await pullData(st, [relative(st.repo.cwd, abs) || "."]);
  }
}

/** Check deps exist before anything is removed (a missing one fails the stage, changing nothing). */
function checkDepsExist(st: RunState, stage: Stage): void {
  for (const d of stage.deps) {
    if (d.repo || isUrl(d.path)) continue;
    const abs = stageAbsPath(st.repo, stage, d.path);
    if (!exists(abs)) {
      throw new CairnError(
        `dependency '${relative(st.repo.cwd, abs) || "."}' does not exist`,
      );
    }
  }
}

/** Missing params keys / files raise here (DVC `ParamsDependency.get_hash`). */
function checkParams(st: RunState, stage: Stage): void {
  const copy: Stage = { ...stage, params: stage.params.map((p) => ({ ...p })) };
  readStageParams(st.repo, copy);
}

/**
 * DVC `StageCache.restore`: the stage's own lock entry when nothing but
 * the outputs changed, else the newest run-cache entry for its current
 * deps; used only if every output is in the cache.
 */
async function tryRestore(st: RunState, stage: Stage, dry: boolean): Promise<boolean> {
  if (!canRunCache(stage)) return false;
  if (dry) {
    // (a real run checked both before removing the outputs)
    for (const d of stage.deps) {
      if (!exists(stageAbsPath(st.repo, stage, d.path))) return false;
    }
    checkParams(st, stage);
  }
  let entry: LockEntry | undefined;
  let depsUnchanged = !stageItselfChanged(stage);
  if (depsUnchanged) {
    for (const d of stage.deps) {
      if (await depStatus(st.status, stage, d)) {
        depsUnchanged = false;
        break;
      }
    }
  }
  if (depsUnchanged) {
    depsUnchanged = stage.params.every((p) => !paramsStatus(st.status, stage, p));
  }
  if (depsUnchanged && stage.outs.every((o) => o.hash)) {
    entry = lockEntry(stage);
  } else {
    if (st.opts.noRunCache) return false;
    if (!dry) {
      // DVC `save_deps`: the key is computed from the deps as they are now.
      const ctx = st.status.cache;
      for (const d of stage.deps) {
        d.hash = (await hashPath(stageAbsPath(st.repo, stage, d.path), {
          state: ctx.state,
          ignore: ctx.ignore,
        })).hash;
      }
      readStageParams(st.repo, stage);
    }
    entry = loadRun(st.status.cache.cacheDir, runCacheKey(lockEntry(stage)));
  }
  if (!entry) return false;
  const outs = Array.isArray(entry.outs) ? entry.outs : [];
  const restored: { path: string; hash: HashInfo }[] = [];
  for (const o of outs) {
    const hash = hashOf(o);
    if (!hash || !isPlainMapping(o) || typeof o.path !== "string") return false;
    // Entries come from remotes too: only the stage's own (guarded) outputs are written.
    if (!stage.outs.some((x) => x.path === o.path)) return false;
    if (!st.status.inCache(hash)) return false;
    restored.push({ path: o.path, hash });
  }
  st.emit({ type: "cached", address: addressing(st.repo, stage) });
  if (dry) return true;
  const ctx = st.status.cache;
  for (const r of restored) {
    const abs = stageAbsPath(st.repo, stage, r.path);
    await checkoutOutput(ctx, { path: abs, hash: r.hash }, { force: true });
    if (stage.outs.find((o) => o.path === r.path)?.cache) saveLink(ctx, abs);
  }
  return true;
}

async function runCommands(
  st: RunState,
  stage: Stage,
  dry: boolean,
  env?: Record<string, string>,
): Promise<void> {
  const address = addressing(st.repo, stage);
  st.emit({ type: "running", address });
  const sink: OutputSink | null = st.capture && st.opts.onOutput
    ? (stream, data) => st.opts.onOutput!(address, stream, data)
    : null;
  try {
    for (const cmd of commandLines(stage.cmd)) {
      st.emit({ type: "command", address, cmd });
      if (dry) continue;
      // The runner plugin (shell/deno/project) under the stage's sandbox policy.
      const { runStageCommand } = await runStage();
      // DVC unlocks the repo while a command runs (a stage may call cairn/dvc itself).
      const r = await st.unlocked(() =>
        runStageCommand(st.repo, stage, cmd, {
          ...st.opts.stageRun,
          // the stage's resource lease (CUDA_VISIBLE_DEVICES) on top of the run's env
          env: env ? { ...st.opts.stageRun?.env, ...env } : st.opts.stageRun?.env,
          address,
          sink,
          signal: st.signal,
        })
      );
      if (r.error) throw r.error;
    }
  } finally {
    if (sink) st.opts.onOutputEnd?.(address);
  }
}

/** Hash, store and record a stage after it ran / was restored / verified. */
async function save(st: RunState, stage: Stage, planPos: number): Promise<void> {
  const commit = !st.opts.noCommit;
  const isPipeline = stage.kind === "pipeline";
  const stageFile = `${st.repo.root}/${stage.file}`;
  const before = isPipeline ? undefined : readMaybe(stageFile);
  if (!isPipeline && st.opts.freshFiles?.includes(stage.file)) {
    Deno.removeSync(stageFile); // DVC 1.x wrote a `run -f` file once, after the run
  }
  const r = await spanAsync(
    "repro.record (hash deps, commit outs)",
    () => recordStage(st.repo, stage, { commit, write: !isPipeline }),
  );
  for (const g of r.gitignores) st.gitFiles.add(g);
  if (!isPipeline) {
    if (r.written && readMaybe(stageFile) !== before) st.gitFiles.add(stageFile);
    return;
  }
  if (commit && runCacheSavable(stage)) {
    // metrics/plots with `cache: false` go into the cache so the run can be restored
    for (const o of stage.outs) {
      if (!o.cache) {
        await commitOutput(st.status.cache, stageAbsPath(st.repo, stage, o.path), {
          relink: false,
        });
      }
    }
    span("repro.run-cache save", () => saveRun(st.status.cache.cacheDir, lockEntry(stage)));
  }
  // the entry may wait a little when the run-cache can restore the stage (LockWriter)
  const delayable = commit && runCacheSavable(stage);
  const w = span("repro.dvc.lock write", () => st.locks.write(stage, planPos, delayable));
  const display = relative(st.repo.cwd, `${st.repo.root}/${w.file}`) || w.file;
  if (w.generated || w.updated) {
    st.emit({ type: "lock", file: display, generated: w.generated, updated: w.updated });
  }
  if (w.updated) st.gitFiles.add(`${st.repo.root}/${w.file}`);
}

function isImport(stage: Stage): boolean {
  return stage.kind === "dvcfile" && stage.cmd === undefined && stage.deps.length > 0;
}

/** DVC `Stage.reproduce` + `Stage.run` for one stage; true when it "changed". */
async function reproduceStage(
  st: RunState,
  stage: Stage,
  planPos: number,
  force: boolean,
  env?: Record<string, string>,
): Promise<StageOutcomeStatus> {
  const address = addressing(st.repo, stage);
  const dry = !!st.opts.dryRun;
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
    // --pull: a stage that only misses data gets it from the remote instead of running
    if (st.opts.pull && !dry && !(await stageChanged(st.status, stage, { allowMissing: true }))) {
      st.emit({ type: "pull", address });
      if (await pullData(st, [address])) return "unchanged";
      st.emit({ type: "pull-failed", address });
    }
  }
  if (st.opts.interactive) {
    const ok = st.opts.confirm
      ? await st.opts.confirm(
        `Going to reproduce stage: '${address}'. Are you sure you want to continue?`,
      )
      : false;
    if (!ok) throw new CairnError("reproduction aborted by the user");
  }
  const hasCmd = commandLines(stage.cmd).length > 0;
  let status: StageOutcomeStatus;
  if (hasCmd && !stage.frozen) {
    if (!dry) {
      await st.preflight();
      if (st.opts.pull) await pullMissingDeps(st, stage);
      // refuse before touching the outputs: missing inputs change nothing on disk
      checkDepsExist(st, stage);
      checkParams(st, stage);
      for (const o of stage.outs) {
        const abs = stageAbsPath(st.repo, stage, o.path);
        if (o.persist) unprotect(abs, st.repo.cacheDir);
        else removeOutput(abs);
      }
    }
    let restored = false;
    if (!force) {
      restored = await spanAsync("repro.run-cache restore", () => tryRestore(st, stage, dry));
    }
    if (!restored || dry) await spanAsync("repro.commands", () => runCommands(st, stage, dry, env));
    status = restored ? "restored" : "ran";
  } else {
    if (!dry) {
      st.emit({
        type: "verify",
        address,
        what: stage.frozen ? "outputs" : "data sources",
      });
      const missing = stage.outs.filter((o) => !exists(stageAbsPath(st.repo, stage, o.path)));
      if (missing.length) {
        const names = missing.map((o) =>
          relative(st.repo.cwd, stageAbsPath(st.repo, stage, o.path))
        );
        throw new CairnError(
          stage.frozen
            ? `missing outputs in frozen stage '${address}': ${names.join(", ")}`
            : `missing data 'source': ${names.join(", ")}`,
        );
      }
    }
    status = "verified";
  }
  if (st.signal.aborted) throw new InterruptedError();
  if (!dry) await save(st, stage, planPos);
  return status;
}

/** Deps that neither exist nor are produced by a stage: refused before anything runs. */
function checkMissingInputs(repo: Repo, graph: StageGraph, plan: number[]): void {
  for (const i of plan) {
    const stage = graph.stages[i];
    if (stage.frozen || commandLines(stage.cmd).length === 0) continue;
    const producers = new Set<string>();
    for (const u of graph.upstream[i]) {
      for (const o of graph.stages[u].outs) producers.add(pathKey(graph.stages[u], o.path));
    }
    const produced = (key: string) => {
      for (const p of producers) {
        if (p === key || key.startsWith(p + "/") || p.startsWith(key + "/")) return true;
      }
      return false;
    };
    const paths = [
      ...stage.deps.filter((d) => !d.repo && !isUrl(d.path)).map((d) => d.path),
      ...stage.params.map((p) => p.file),
    ];
    for (const p of paths) {
      const abs = stageAbsPath(repo, stage, p);
      if (exists(abs) || produced(pathKey(stage, p))) continue;
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

/** `repro [targets]`. Throws ReproductionError (exit 255) when a stage failed. */
/**
 * The scheduler's resource gate (lib/pipeline/resources.ts) when some planned
 * stage declares `meta.resources`; a request the machine can never meet
 * fails here, before anything runs.
 */
function resourceGate(
  repo: Repo,
  graph: StageGraph,
  plan: number[],
  opts: ReproOptions,
): ((pos: number) => JobLease | null) | undefined {
  let requests = plan.map((i) =>
    stageResources(graph.stages[i], `stage '${addressing(repo, graph.stages[i])}'`)
  );
  if (!requests.some(Boolean)) return undefined;
  // a batch runner's stages get their resources from the cluster's scheduler, not this machine
  const projectRunner = loadCairnConfig(repo.root).runner;
  requests = requests.map((r, pos) =>
    r && isBatchRunner(chosenRunner(graph.stages[plan[pos]], opts.stageRun?.runner, projectRunner))
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

export async function reproduce(
  repo: Repo,
  targets: readonly string[] = [],
  opts: ReproOptions = {},
): Promise<ReproResult> {
  let lock: RepoLock | undefined = await acquireRepoLock(repoLockPath(repo.dvcDir));
  // Ctrl-C must wait for us: the stage commands' process groups are stopped
  // (abort listeners) and the lock keeps only the stages that completed.
  const unregister = onInterrupt(() => {});
  let locks: LockWriter | undefined;
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
    let preflight: Promise<void> | undefined;
    let preflightError: unknown;
    const st: RunState = {
      unlocked,
      preflight: () =>
        preflight ??= runStage().then((m) =>
          m.checkStagesRunnable(repo, plan.map((i) => graph.stages[i]), opts.stageRun)
        ).catch((err) => {
          preflightError = err; // not a stage failure: the whole run is refused
          throw err;
        }),
      repo,
      opts,
      graph,
      status: new StatusContext(repo),
      locks: locks = new LockWriter(repo),
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
    const tryStart = opts.dryRun ? undefined : resourceGate(repo, graph, plan, opts);
    const exec = await executeJobs(
      plan.length,
      planDependencies(graph, plan),
      async (pos, ctx) => {
        if (jobs === 1 && previousChanged) st.emit({ type: "separator" });
        previousChanged = false;
        const s = await reproduceStage(st, graph.stages[plan[pos]], pos, ctx.force, ctx.env);
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
    locks.flush(); // before the lock is reported, staged or read by the caller
    if (exec.interrupted) throw new InterruptedError();
    if (preflightError) throw preflightError;
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
      locks?.flush(); // an error or ^C: the completed stages' entries still go in
    } catch {
      // the run already failed: its error is the one to report
    }
    unregister();
    lock?.release();
    lock = undefined;
  }
}
