/// <reference lib="deno.worker" />
/**
 * Worker side of download verification (./verify_pool.ts): reads a downloaded
 * file whole and answers whether it hashes to the md5 asked. It runs beside the
 * remote plugin's copies and the main thread's landing, on another core.
 */
import { md5Bytes } from "../hash/md5.ts";

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
  let n = 0;
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(req.path);
  } catch {
    return undefined; // the caller's path reports the error with the path
  }
  try {
    // Up to one byte more than announced: more than `size` is a different file.
    for (let r; n <= req.size && (r = f.readSync(buf.subarray(n, req.size + 1))) !== null;) n += r;
  } catch {
    return undefined; // as above
  } finally {
    f.close();
  }
  if (n !== req.size) return undefined;
  return md5Bytes(buf.subarray(0, n)) === req.md5;
}

self.onmessage = (ev: MessageEvent<VerifyRequest>) => {
  self.postMessage({ id: ev.data.id, ok: verify(ev.data) } satisfies VerifyReply);
};
