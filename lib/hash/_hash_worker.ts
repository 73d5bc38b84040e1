/// <reference lib="deno.worker" />
/**
 * Worker side of parallel hashing: receives batches of paths, answers their
 * md5s. Progress for big files is posted while they are read.
 */
import { md5File } from "./md5.ts";

export interface HashBatch {
  id: number;
  paths: string[];
  sizes: number[];
}

export type WorkerReply =
  | { type: "done"; id: number; md5s: string[] }
  | { type: "bytes"; id: number; bytes: number }
  | { type: "error"; id: number; path: string; message: string };

self.onmessage = (ev: MessageEvent<HashBatch>) => {
  const { id, paths, sizes } = ev.data;
  const md5s = new Array<string>(paths.length);
  let i = 0;
  try {
    for (; i < paths.length; i++) {
      const size = sizes[i];
      md5s[i] = md5File(paths[i], {
        size,
        onBytes: size > 8 << 20
          ? (bytes) => self.postMessage({ type: "bytes", id, bytes })
          : undefined,
      });
    }
    self.postMessage({ type: "done", id, md5s } satisfies WorkerReply);
  } catch (err) {
    self.postMessage(
      {
        type: "error",
        id,
        path: paths[i],
        message: err instanceof Error ? err.message : String(err),
      } satisfies WorkerReply,
    );
  }
};
