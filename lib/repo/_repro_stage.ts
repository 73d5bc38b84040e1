/**
 * The part of `repro` a changed stage needs (see reproduce.ts): pull what it
 * misses, remove or unprotect its outputs, restore it from the run-cache or
 * run its command through the runner layer, then commit its outputs, save
 * the run and write its dvc.lock entry. Loaded by reproduce.ts when the first
 * stage is not up to date, so a no-op repro loads none of it.
 */
import { dirname, isUrl, relative } from "../path.ts";
import { CairnError, ignoreNotFound, InterruptedError } from "../errors.ts";
import { checkoutOutput, commitOutput } from "../cache/checkout.ts";
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
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { hashPath } from "../hash/hash_path.ts";
import { span, spanAsync } from "../trace.ts";
import type { OutputSink } from "../pipeline/run_command.ts";
import { isPlainMapping, mapEntries, pyEquals } from "../py/value.ts";
import type { HashInfo, Stage } from "../stage/types.ts";
import { stageAbsPath } from "./collect.ts";
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
import {
  commandLines,
  pullOptionsFor,
  type RunState,
  type StageOutcomeStatus,
} from "./reproduce.ts";
import { lexists } from "../fs/stat_or_null.ts";

/** The runner/sandbox layer, loaded only when a stage command actually runs. */
let runStageModule: Promise<typeof import("../pipeline/run_stage.ts")> | undefined;
function runStage() {
  runStageModule ??= import("../pipeline/run_stage.ts");
  return runStageModule;
}

/** Refusals before the first command runs (see RunState.preflight), once per run. */
function preflight(st: RunState): Promise<void> {
  return st.preflight ??= runStage().then((m) =>
    m.checkStagesRunnable(st.repo, st.plan.map((i) => st.graph.stages[i]), st.opts.stageRun)
  ).catch((err) => {
    st.preflightError = err;
    throw err;
  });
}

/** The run's dvc.lock writer, made on first use. */
function locksOf(st: RunState): LockWriter {
  return st.locks ??= new LockWriter(st.repo);
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
export class LockWriter {
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

/** `pull` of some targets through the data layer (lib/repo/pull.ts); false when it failed. */
async function pullData(st: RunState, targets: string[]): Promise<boolean> {
  st.locks?.writePending(); // pull reads dvc.lock
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
    if (!lexists(abs)) await pullData(st, [relative(st.repo.cwd, abs) || "."]);
  }
}

/** Check deps exist before anything is removed (a missing one fails the stage, changing nothing). */
function checkDepsExist(st: RunState, stage: Stage): void {
  for (const d of stage.deps) {
    if (d.repo || isUrl(d.path)) continue;
    const abs = stageAbsPath(st.repo, stage, d.path);
    if (!lexists(abs)) {
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
      if (!lexists(stageAbsPath(st.repo, stage, d.path))) return false;
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
  const w = span("repro.dvc.lock write", () => locksOf(st).write(stage, planPos, delayable));
  const display = relative(st.repo.cwd, `${st.repo.root}/${w.file}`) || w.file;
  if (w.generated || w.updated) {
    st.emit({ type: "lock", file: display, generated: w.generated, updated: w.updated });
  }
  if (w.updated) st.gitFiles.add(`${st.repo.root}/${w.file}`);
}

/**
 * The rest of DVC's `Stage.reproduce` + `Stage.run` for a stage that is not
 * up to date (or forced): reproduce.ts has emitted "frozen" and found it changed.
 */
export async function reproduceChanged(
  st: RunState,
  stage: Stage,
  planPos: number,
  force: boolean,
  env?: Record<string, string>,
): Promise<StageOutcomeStatus> {
  const address = addressing(st.repo, stage);
  const dry = !!st.opts.dryRun;
  // --pull: a stage that only misses data gets it from the remote instead of running
  if (
    !force && st.opts.pull && !dry &&
    !(await stageChanged(st.status, stage, { allowMissing: true }))
  ) {
    st.emit({ type: "pull", address });
    if (await pullData(st, [address])) return "unchanged";
    st.emit({ type: "pull-failed", address });
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
      await preflight(st);
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
      const missing = stage.outs.filter((o) => !lexists(stageAbsPath(st.repo, stage, o.path)));
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
