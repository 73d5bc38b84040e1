/// <reference lib="deno.worker" />
/**
 * Worker side of parallel checkout (`link_many.ts`): links batches of cache
 * objects into the workspace with one fixed link type and answers each new
 * file's stamp. A file that fails is reported, not retried: the main thread
 * retries it with the link-type fallback (and reports the real error).
 */
import { type LinkBatch, linkBatch, type LinkReply } from "./link_many.ts";

self.onmessage = (ev: MessageEvent<LinkBatch>) => {
  self.postMessage(linkBatch(ev.data) satisfies LinkReply);
};

// Announce readiness so work is only handed over once loading is done.
self.postMessage({ type: "ready" } satisfies LinkReply);
