/// <reference lib="deno.worker" />
/**
 * Worker side of walkFilesParallel (walk.ts): claims subtrees the main
 * thread has not started, walks each and posts it packed; "end" once no
 * subtree is left (or on a failure: the main thread then walks the rest and
 * reports the error with its path).
 */
import { DvcIgnore } from "./dvcignore.ts";
import { toColumns, type WalkJob, type WalkReply, type WalkResult, walkTree } from "./walk.ts";

self.onmessage = (ev: MessageEvent<WalkJob>) => {
  const { root, ignoreRoot, parts, claims } = ev.data;
  const ignore = ignoreRoot !== undefined ? new DvcIgnore(ignoreRoot) : undefined;
  try {
    for (let k = 0; k < parts.length; k++) {
      if (Atomics.compareExchange(claims, k, 0, 2) !== 0) continue;
      const r: WalkResult = { files: [], dvcignoreFiles: [] };
      walkTree(r, root, parts[k][0], parts[k][1], ignore);
      const msg = toColumns(k, r);
      self.postMessage(msg satisfies WalkReply, [msg.nums.buffer]);
    }
  } catch { /* the main thread walks what was not sent */ }
  self.postMessage({ type: "end" } satisfies WalkReply);
};
