/**
 * The hashing engine: md5s for a list of stat'ed files, served from the state
 * index when the stamp is unchanged, otherwise read inline (small jobs) or
 * split across Workers (large jobs). Reports progress; never prints.
 */
import { CairnError, InterruptedError } from "../errors.ts";
import { onInterrupt, yieldToEventLoop } from "../interrupt.ts";
import type { FileStamp } from "../fs/walk.ts";
import {
  CONCURRENT_COPY_MIN,
  hashAndStore,
  hashAndStoreLarge,
  releaseStore,
  type StoreSpec,
} from "./_hash_store.ts";
import type { StateEntry, StateIndex } from "./state.ts";
import type { HashBatch, WorkerReply } from "./_hash_worker.ts";
import { span, traceCount } from "../trace.ts";

/** (done files, total files, done bytes, total bytes); state hits count as done. */
export type ProgressFn = (
  doneFiles: number,
  totalFiles: number,
  doneBytes: number,
  totalBytes: number,
) => void;

export interface HashTarget extends FileStamp {
  abs: string;
}

/** Knobs of the parallel engines (tests and benchmarks; defaults are measured). */
export interface ParallelTuning {
  /** go parallel from this many files (hashing: with PARALLEL_MIN_BYTES) */
  minFiles?: number;
  /** files per batch handed out */
  batchFiles?: number;
  /** false: the main thread takes no batch, Workers do everything */
  mainThread?: boolean;
}

export interface HashFilesOptions {
  state?: StateIndex;
  onProgress?: ProgressFn;
  /**
   * Threads hashing a large job, the main thread included (default 2 =
   * main + 1 Worker, up to 4 threads where there are more cores; 0 or 1 =
   * always inline).
   */
  workers?: number;
  /**
   * Go parallel only when the files to read reach either threshold
   * (defaults from measurements: see PARALLEL_MIN_*).
   */
  parallelMinFiles?: number;
  parallelMinBytes?: number;
  /**
   * Every file is under this directory (absolute): when the state holds
   * nothing under it, the files are not looked up one by one.
   */
  under?: string;
  /** batch size and main-thread share of a parallel job */
  tuning?: ParallelTuning;
  /**
   * Also write every file read as a cache object under this root (the
   * cache's `files/md5`), from the bytes just hashed. Files served by the
   * state index are not stored: the caller checks those against the cache.
   */
  store?: StoreSpec;
}

export interface HashFilesResult {
  md5s: string[];
  /** how many were served by the state index (not read) */
  fromState: number;
  /** bytes actually read */
  bytesRead: number;
  /** indexes (into `files`) that were read, i.e. not served by the state */
  hashed: number[];
  /** objects newly written (with `store`) */
  stored: number;
  /** files hashed by Workers (the rest of `hashed` by the main thread) */
  byWorkers: number;
}

/**
 * Below these the job runs inline. Measured here (scripts/bench/_threshold.ts):
 * inline hashing costs ~15-40 µs per small file and ~370 MB/s; a hash Worker
 * needs 50-110 ms to load and `new Worker()` blocks the main thread ~30 ms,
 * so only jobs of ~200 ms+ can gain, and only if a second core is free (on
 * the loaded 2-core machine 32k files / 256 MiB still showed no gain).
 */
export const PARALLEL_MIN_FILES = 10_000;
export const PARALLEL_MIN_BYTES = 128 << 20;

/** Batches handed to a worker: at most this many files or bytes. */
const BATCH_FILES = 256;
const BATCH_BYTES = 16 << 20;
/**
 * Batches queued per Worker: it only hears back from the main thread between
 * the main thread's own batches, so with one batch in flight it sat idle
 * for a third of a 100k-file add.
 */
const IN_FLIGHT = 3;

const PROGRESS_INTERVAL_MS = 50;

/**
 * Threads for a parallel job: one per core, at least 2 (what was measured
 * on the 2-core bench machine), at most 4 (each Worker costs ~30 MB and a
 * start-up; more was never measured).
 */
function defaultThreads(): number {
  const cores = typeof navigator !== "undefined" ? navigator.hardwareConcurrency ?? 2 : 2;
  return Math.max(2, Math.min(4, cores));
}

/** Finished files recorded in the state at once while a parallel job runs. */
const STATE_CHUNK = 2048;

/** Hash `files` (result order = input order) and record new hashes in the state. */
export async function hashFiles(
  files: readonly HashTarget[],
  opts: HashFilesOptions = {},
): Promise<HashFilesResult> {
  const n = files.length;
  const md5s = new Array<string>(n);
  let totalBytes = 0;
  for (const f of files) totalBytes += f.size;

  let fromState = 0;
  const todo: number[] = [];
  // A first add of 1M files skips the lookup: its paths alone were ~130 MB.
  if (opts.state && (opts.under === undefined || opts.state.hasAnyUnder(opts.under))) {
    const state = opts.state;
    const hits = span("state lookup", () => state.lookupMany(files.map((f) => f.abs), files));
    for (let i = 0; i < n; i++) {
      const h = hits[i];
      if (h !== undefined) {
        md5s[i] = h;
        fromState++;
      } else todo.push(i);
    }
  } else for (let i = 0; i < n; i++) todo.push(i);

  traceCount("files from state", fromState);
  traceCount("files hashed", todo.length);
  traceCount("bytes hashed", todo.reduce((a, i) => a + files[i].size, 0));
  let doneFiles = fromState;
  let doneBytes = totalBytes;
  let todoBytes = 0;
  for (const i of todo) todoBytes += files[i].size;
  doneBytes -= todoBytes;
  const progress = makeProgress(opts.onProgress, n, totalBytes);
  progress(doneFiles, doneBytes, true);

  const hashedAt = Date.now();
  const workers = opts.workers ?? defaultThreads();
  const parallel = workers > 1 && todo.length > 1 && (
    todo.length >= (opts.parallelMinFiles ?? opts.tuning?.minFiles ?? PARALLEL_MIN_FILES) ||
    todoBytes >= (opts.parallelMinBytes ?? PARALLEL_MIN_BYTES)
  );

  let stored = 0;
  let byWorkers = 0;
  // Parallel: the main thread records finished batches in the state between
  // its own batches, so the Worker keeps hashing meanwhile instead of idling
  // through one long save at the end (100k files: ~0.4 s of SQLite inserts).
  let unsaved: number[] = [];
  let savedAny = false;
  const saveDone = (min: number) => {
    if (!opts.state || unsaved.length < min || unsaved.length === 0) return;
    const state = opts.state;
    const idx = unsaved;
    unsaved = [];
    savedAny = true;
    span("state save", () => state.saveMany(entriesOf(files, idx, md5s), { hashedAt }));
  };
  try {
    if (parallel) {
      const r = await hashInWorkers(files, todo, md5s, workers, opts, (f, b, idx) => {
        doneFiles += f;
        doneBytes += b;
        progress(doneFiles, doneBytes, false);
        if (idx && opts.state) { for (const i of idx) unsaved.push(i); }
      }, () => saveDone(STATE_CHUNK));
      stored = r.stored;
      byWorkers = r.byWorkers;
      saveDone(1);
    } else {
      for (const i of todo) {
        const f = files[i];
        const onBytes = f.size > 8 << 20
          ? (b: number) => {
            doneBytes += b;
            progress(doneFiles, doneBytes, false);
          }
          : undefined;
        const r = opts.store && f.size >= CONCURRENT_COPY_MIN
          ? await hashAndStoreLarge(f.abs, f.size, opts.store, onBytes)
          : hashAndStore(f.abs, f.size, opts.store, onBytes);
        md5s[i] = r.md5;
        if (r.stored) stored++;
        doneFiles++;
        if (f.size <= 8 << 20) doneBytes += f.size;
        progress(doneFiles, doneBytes, false);
      }
    }
  } finally {
    releaseStore();
  }
  progress(doneFiles, doneBytes, true);

  if (opts.state && todo.length > 0 && !savedAny) {
    const state = opts.state;
    span("state save", () => state.saveMany(entriesOf(files, todo, md5s), { hashedAt }));
  }
  return { md5s, fromState, bytesRead: todoBytes, hashed: todo, stored, byWorkers };
}

/** State entries of `idx`, generated (at 1M files an array of them was ~80 MB). */
function* entriesOf(
  files: readonly HashTarget[],
  idx: readonly number[],
  md5s: readonly string[],
): Generator<StateEntry> {
  for (const i of idx) yield { path: files[i].abs, stamp: files[i], md5: md5s[i] };
}

function makeProgress(
  fn: ProgressFn | undefined,
  totalFiles: number,
  totalBytes: number,
): (files: number, bytes: number, force: boolean) => void {
  if (!fn) return () => {};
  let last = 0;
  return (files, bytes, force) => {
    const now = performance.now();
    if (!force && now - last < PROGRESS_INTERVAL_MS) return;
    last = now;
    fn(files, totalFiles, bytes, totalBytes);
  };
}

/**
 * Split the work into batches handed out on demand. The main thread hashes
 * too, starting at once, while `threads - 1` Workers start up (~20-100 ms
 * each) and join in; whatever they have not taken when the main thread runs
 * out is done by the main thread, so small jobs never wait on a Worker.
 */
async function hashInWorkers(
  files: readonly HashTarget[],
  todo: number[],
  md5s: string[],
  threads: number,
  opts: HashFilesOptions,
  onDone: (files: number, bytes: number, idx?: readonly number[]) => void,
  between: () => void = () => {},
): Promise<{ stored: number; byWorkers: number }> {
  const store = opts.store;
  const batchFiles = opts.tuning?.batchFiles ?? BATCH_FILES;
  const mainShare = opts.tuning?.mainThread ?? true;
  const batches: number[][] = [];
  let cur: number[] = [];
  let curBytes = 0;
  for (const i of todo) {
    cur.push(i);
    curBytes += files[i].size;
    if (cur.length >= batchFiles || curBytes >= BATCH_BYTES) {
      batches.push(cur);
      cur = [];
      curBytes = 0;
    }
  }
  if (cur.length) batches.push(cur);

  let stored = 0;
  let byWorkers = 0;
  let next = 0;
  let failure: unknown;
  let running = 0;
  let wake: (() => void) | undefined;
  const pool: Worker[] = [];
  const sent = new Map<number, number[]>();
  const streamed = new Map<number, number>();
  const settle = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const feed = (w: Worker) => {
    if (failure !== undefined || next >= batches.length) return;
    const id = next++;
    const idx = batches[id];
    sent.set(id, idx);
    running++;
    const msg: HashBatch = {
      id,
      paths: idx.map((i) => files[i].abs),
      sizes: idx.map((i) => files[i].size),
      store,
    };
    w.postMessage(msg);
  };
  // Ctrl-C: stop the Workers and return through the caller (the CLI waits
  // for that) instead of exiting the process under threads still working.
  const offInterrupt = onInterrupt(() => {
    failure ??= new InterruptedError();
    for (const w of pool) w.terminate();
    settle();
  });
  try {
    const nWorkers = mainShare
      ? Math.min(threads - 1, batches.length - 1)
      : Math.max(1, Math.min(threads - 1, batches.length));
    for (let k = 0; k < nWorkers; k++) {
      const w = new Worker(new URL("./_hash_worker.ts", import.meta.url), {
        type: "module",
      });
      pool.push(w);
      w.onerror = (ev) => {
        ev.preventDefault();
        failure ??= new CairnError(`hashing worker failed: ${ev.message}`);
        settle();
      };
      w.onmessage = (ev: MessageEvent<WorkerReply>) => {
        const r = ev.data;
        if (r.type === "ready") {
          for (let q = 0; q < IN_FLIGHT; q++) feed(w);
          return;
        }
        if (r.type === "bytes") {
          streamed.set(r.id, (streamed.get(r.id) ?? 0) + r.bytes);
          onDone(0, r.bytes);
          return;
        }
        running--;
        if (r.type === "error") {
          failure ??= new CairnError(r.message);
          settle();
          return;
        }
        stored += r.stored;
        byWorkers += r.md5s.length;
        const idx = sent.get(r.id)!;
        sent.delete(r.id);
        let bytes = 0;
        for (let j = 0; j < idx.length; j++) {
          md5s[idx[j]] = r.md5s[j];
          bytes += files[idx[j]].size;
        }
        onDone(idx.length, bytes - (streamed.get(r.id) ?? 0), idx);
        streamed.delete(r.id);
        feed(w);
        settle();
      };
    }
    // The main thread's share, one batch at a time.
    while (mainShare && failure === undefined && next < batches.length) {
      const idx = batches[next++];
      let bytes = 0;
      for (const i of idx) {
        const f = files[i];
        const r = hashAndStore(f.abs, f.size, store);
        md5s[i] = r.md5;
        if (r.stored) stored++;
        bytes += f.size;
      }
      onDone(idx.length, bytes, idx);
      between();
      await yieldToEventLoop();
    }
    while (failure === undefined && (running > 0 || next < batches.length)) {
      await new Promise<void>((r) => (wake = r));
    }
    if (failure !== undefined) throw failure;
  } finally {
    offInterrupt();
    for (const w of pool) w.terminate();
  }
  return { stored, byWorkers };
}
