/// <reference lib="deno.worker" />
/**
 * Worker side of parallel hashing: receives batches of paths, answers their
 * md5s. Progress for big files is posted while they are read.
 */
import { hashAndStore, releaseStore, type StoreSpec } from "./_hash_store.ts";

export interface HashBatch {
  id: number;
  paths: string[];
  sizes: number[];
  /** also store new files as cache objects */
  store?: StoreSpec;
}

export type WorkerReply =
  | { type: "ready" }
  | { type: "done"; id: number; md5s: string[]; stored: number }
  | { type: "bytes"; id: number; bytes: number }
  | { type: "error"; id: number; path: string; message: string };

self.onmessage = (ev: MessageEvent<HashBatch>) => {
  const { id, paths, sizes, store } = ev.data;
  const md5s = new Array<string>(paths.length);
  let stored = 0;
  let i = 0;
  try {
    for (; i < paths.length; i++) {
      const size = sizes[i];
      const r = hashAndStore(
        paths[i],
        size,
        store,
        size > 8 << 20 ? (bytes) => self.postMessage({ type: "bytes", id, bytes }) : undefined,
      );
      md5s[i] = r.md5;
      if (r.stored) stored++;
    }
    self.postMessage({ type: "done", id, md5s, stored } satisfies WorkerReply);
  } catch (err) {
    self.postMessage(
      {
        type: "error",
        id,
        path: paths[i],
        message: err instanceof Error ? err.message : String(err),
      } satisfies WorkerReply,
    );
  } finally {
    releaseStore();
  }
};

// Announce readiness so work is only handed over once loading is done.
self.postMessage({ type: "ready" } satisfies WorkerReply);
