/// <reference lib="deno.worker" />
/**
 * Worker side of download verification (./verify_pool.ts): reads a downloaded
 * file whole and answers whether it hashes to the md5 asked. It runs beside the
 * remote plugin's copies and the main thread's landing, on another core.
 */
import { md5Bytes } from "../hash/md5.ts";
import { readFullSync } from "../fs/read_full.ts";

export interface VerifyRequest {
  id: number;
  path: string;
  size: number;
  md5: string;
}

/** ok: the verdict; undefined: not settled here (the caller verifies the plain way). */
export interface VerifyReply {
  id: number;
  ok?: boolean;
}

let buf = new Uint8Array(0);

function verify(req: VerifyRequest): boolean | undefined {
  if (buf.length < req.size + 1) buf = new Uint8Array(req.size + 1);
  let n: number;
  try {
    // Up to one byte more than announced: more than `size` is a different file.
    n = readFullSync(req.path, buf.subarray(0, req.size + 1));
  } catch {
    return undefined; // the caller's path reports the error with the path
  }
  if (n !== req.size) return undefined;
  return md5Bytes(buf.subarray(0, n)) === req.md5;
}

self.onmessage = (ev: MessageEvent<VerifyRequest>) => {
  self.postMessage({ id: ev.data.id, ok: verify(ev.data) } satisfies VerifyReply);
};
