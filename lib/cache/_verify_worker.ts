/// <reference lib="deno.worker" />
/**
 * Worker side of download verification (./verify_pool.ts): reads a downloaded
 * file whole and answers whether it hashes to the md5 asked; or, for a batch
 * of small downloads that came back as bytes, hashes each and lands the good
 * ones in the cache (./_native_land.ts). It runs beside the remote plugin's
 * copies and the main thread, on another core.
 */
import { md5Bytes } from "../hash/md5.ts";
import { readFullSync } from "../fs/read_full.ts";
import { nativeLand, releaseNativeLand } from "./_native_land.ts";

export interface VerifyRequest {
  kind: "verify";
  id: number;
  path: string;
  size: number;
  md5: string;
}

/** Downloads in memory: each is landed at `path[i]` only if `data[i]` hashes to `md5[i]`. */
export interface LandRequest {
  kind: "land";
  id: number[];
  path: string[];
  md5: string[];
  data: Uint8Array[];
}

/** ok: the verdict; undefined: not settled here (the caller verifies the plain way). */
export interface VerifyReply {
  kind: "verify";
  id: number;
  ok?: boolean;
}

/**
 * Per item: ok (landed), else its bytes given back in `back` when it was not
 * landed here (the caller lands it the plain way), else corrupt (nothing written).
 */
export interface LandReply {
  kind: "land";
  id: number[];
  ok: boolean[];
  back: (Uint8Array | undefined)[];
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

function land(req: LandRequest): LandReply {
  const ok: boolean[] = [];
  const back: (Uint8Array | undefined)[] = [];
  req.data.forEach((data, i) => {
    const good = md5Bytes(data) === req.md5[i];
    ok.push(good && nativeLand(req.path[i], data));
    // not landed here (no libc, a failed call): the caller's path lands it or says why not
    back.push(good && !ok[i] ? data : undefined);
  });
  // the folder kept open: this Worker may be stopped before the next batch
  releaseNativeLand();
  return { kind: "land", id: req.id, ok, back };
}

self.onmessage = (ev: MessageEvent<VerifyRequest | LandRequest>) => {
  const req = ev.data;
  if (req.kind === "land") {
    const r = land(req);
    self.postMessage(r, r.back.flatMap((b) => (b ? [b.buffer as ArrayBuffer] : [])));
  } else self.postMessage({ kind: "verify", id: req.id, ok: verify(req) } satisfies VerifyReply);
};
