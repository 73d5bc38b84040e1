/**
 * Linking many cache objects into the workspace on two cores: the main
 * thread and `threads - 1` Workers take batches on demand (checkout of a
 * large directory). Every file is still written at a temp path and renamed
 * (`linkFile`), so an interrupted checkout leaves no partial file. Parent
 * directories must exist. A file that fails in a batch (an object missing or
 * not read-only, a link type that does not work here, ...) is handed back to
 * the caller (`failed`), which checks the object and retries it with the
 * link-type fallback.
 */
import { CairnError, InterruptedError } from "../errors.ts";
import { onInterrupt, yieldToEventLoop } from "../interrupt.ts";
import type { FileStamp } from "../fs/walk.ts";
import type { ParallelTuning } from "../hash/hash_files.ts";
import { linkFile } from "./link.ts";
import { releaseNativeLink } from "./_native_link.ts";
import type { LinkType } from "./types.ts";

/** One object to materialise. */
export interface LinkJob {
  src: string;
  dst: string;
  /** object size when known (small copies skip a stat) */
  size?: number;
  isexec?: boolean;
  /** refuse an object that is not read-only (see LinkOptions.requireReadOnly) */
  requireReadOnly?: boolean;
}

export interface LinkManyOptions {
  /** the link type that already worked for this checkout */
  type: LinkType;
  groupShared?: boolean;
  /** threads, the main one included (default 2; 1 = inline) */
  threads?: number;
  /** minFiles (default PARALLEL_LINK_MIN_FILES), batch size, main-thread share */
  tuning?: ParallelTuning;
  /** called with the number of files finished since the last call */
  onDone?: (files: number) => void;
  /** destinations are in a staging folder of this checkout (LinkOptions.fresh) */
  fresh?: boolean;
}

/**
 * The jobs, read by index as batches are handed out: an array, or a view
 * that builds each job on demand (1M files: no list of 2M paths kept while
 * the files are written, only the batches in flight).
 */
export interface LinkJobs {
  readonly length: number;
  at(index: number): LinkJob | undefined;
}

export interface LinkManyResult {
  /** stamp of new file `i` (input order); undefined where it failed */
  stampAt(i: number): FileStamp | undefined;
  /** the same as ino, mtimeMs, size at `3 * i` (NaN where it failed): no object per file */
  stamps: Float64Array;
  /** indexes of the jobs that failed (nothing was left at their destination) */
  failed: number[];
  /** files linked by Workers */
  byWorkers: number;
}

/** Below this many files a checkout links inline. */
export const PARALLEL_LINK_MIN_FILES = 2_000;

const BATCH_FILES = 256;
/** Batches queued per Worker (it hears back only between the main thread's batches). */
const IN_FLIGHT = 3;

/** A batch as sent to a Worker (arrays, cheap to clone). */
export interface LinkBatch {
  id: number;
  type: LinkType;
  groupShared: boolean;
  fresh: boolean;
  src: string[];
  dst: string[];
  /** -1 = unknown */
  size: number[];
  isexec: boolean[];
  requireReadOnly: boolean[];
}

export type LinkReply =
  | { type: "ready" }
  | {
    type: "done";
    id: number;
    /** ino, mtimeMs, size per file (NaN for a failed one) */
    stamps: Float64Array;
    failed: number[];
  };

/** Link one batch in this thread; never throws for a single file. */
export function linkBatch(b: LinkBatch): LinkReply {
  const n = b.src.length;
  const stamps = new Float64Array(n * 3).fill(NaN);
  const failed: number[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const s = linkFile(b.src[i], b.dst[i], b.type, {
        isexec: b.isexec[i],
        groupShared: b.groupShared,
        size: b.size[i] < 0 ? undefined : b.size[i],
        requireReadOnly: b.requireReadOnly[i],
        fresh: b.fresh,
        failFast: true,
      }) ?? stampAt(b.dst[i]);
      stamps[i * 3] = s.ino;
      stamps[i * 3 + 1] = s.mtimeMs;
      stamps[i * 3 + 2] = s.size;
    } catch {
      // linkFile removed its temp; the caller retries and reports the error.
      failed.push(i);
    }
  }
  releaseNativeLink();
  return { type: "done", id: b.id, stamps, failed };
}

function stampAt(path: string): FileStamp {
  const st = Deno.statSync(path);
  return { ino: st.ino ?? 0, mtimeMs: st.mtime?.getTime() ?? 0, size: st.size };
}

/** Link every job (see the module comment); result order = input order. */
export async function linkMany(
  jobs: LinkJobs,
  opts: LinkManyOptions,
): Promise<LinkManyResult> {
  const n = jobs.length;
  // ino, mtimeMs, size per file, NaN where it failed: no object per file
  const stamps = new Float64Array(n * 3).fill(NaN);
  const failed: number[] = [];
  const batchFiles = Math.max(1, opts.tuning?.batchFiles ?? BATCH_FILES);
  const nBatches = Math.ceil(n / batchFiles);
  const countOf = (id: number) => Math.min(batchFiles, n - id * batchFiles);
  const mainShare = opts.tuning?.mainThread ?? true;
  let byWorkers = 0;
  // Built when handed out, not all up front (1M files: no second copy of every path).
  const batchAt = (id: number): LinkBatch => {
    const b: LinkBatch = {
      id,
      type: opts.type,
      groupShared: !!opts.groupShared,
      fresh: !!opts.fresh,
      src: [],
      dst: [],
      size: [],
      isexec: [],
      requireReadOnly: [],
    };
    const start = id * batchFiles;
    for (let i = start; i < start + countOf(id); i++) {
      const j = jobs.at(i)!;
      b.src.push(j.src);
      b.dst.push(j.dst);
      b.size.push(j.size ?? -1);
      b.isexec.push(!!j.isexec);
      b.requireReadOnly.push(!!j.requireReadOnly);
    }
    return b;
  };
  const take = (r: Extract<LinkReply, { type: "done" }>) => {
    const base = r.id * batchFiles;
    const count = countOf(r.id);
    const bad = new Set(r.failed);
    for (let k = 0; k < count; k++) {
      if (bad.has(k)) failed.push(base + k);
    }
    stamps.set(r.stamps.subarray(0, count * 3), base * 3);
    opts.onDone?.(count);
  };

  const threads = opts.threads ?? 2;
  const parallel = threads > 1 && n >= (opts.tuning?.minFiles ?? PARALLEL_LINK_MIN_FILES);
  const pool: Worker[] = [];
  // The main thread takes batches from the front, Workers from the back:
  // two threads creating files in one folder queue on its lock (a listing is
  // sorted, so neighbouring batches share folders).
  let front = 0;
  let back = nBatches - 1;
  const left = () => front <= back;
  let running = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settle = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const feed = (w: Worker) => {
    if (failure !== undefined || !left()) return;
    running++;
    w.postMessage(batchAt(mainShare ? back-- : front++));
  };
  // Ctrl-C: stop the Workers and return through the caller (the CLI waits
  // for that) instead of exiting the process under threads still working.
  const offInterrupt = onInterrupt(() => {
    failure ??= new InterruptedError();
    for (const w of pool) w.terminate();
    settle();
  });
  try {
    if (parallel) {
      const nWorkers = mainShare
        ? Math.min(threads - 1, nBatches - 1)
        : Math.max(1, Math.min(threads - 1, nBatches));
      for (let k = 0; k < nWorkers; k++) {
        const w = new Worker(new URL("./_link_worker.ts", import.meta.url), { type: "module" });
        pool.push(w);
        w.onerror = (ev) => {
          ev.preventDefault();
          failure ??= new CairnError(`checkout worker failed: ${ev.message}`);
          settle();
        };
        w.onmessage = (ev: MessageEvent<LinkReply>) => {
          const r = ev.data;
          if (r.type === "ready") {
            for (let q = 0; q < IN_FLIGHT; q++) feed(w);
            return;
          }
          running--;
          byWorkers += countOf(r.id);
          take(r);
          feed(w);
          settle();
        };
      }
    }
    // The main thread's share, one batch at a time (all of it when inline).
    while ((mainShare || !parallel) && failure === undefined && left()) {
      take(linkBatch(batchAt(front++)) as Extract<LinkReply, { type: "done" }>);
      if (parallel) await yieldToEventLoop();
    }
    while (failure === undefined && (running > 0 || left())) {
      await new Promise<void>((r) => (wake = r));
    }
    if (failure !== undefined) throw failure;
  } finally {
    offInterrupt();
    for (const w of pool) w.terminate();
  }
  failed.sort((a, b) => a - b);
  const stampOfJob = (i: number): FileStamp | undefined =>
    Number.isNaN(stamps[i * 3])
      ? undefined
      : { ino: stamps[i * 3], mtimeMs: stamps[i * 3 + 1], size: stamps[i * 3 + 2] };
  return { stampAt: stampOfJob, stamps, failed, byWorkers };
}
