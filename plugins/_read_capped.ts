/**
 * A response body read whole, but never more than `maxBytes`: the declared
 * Content-Length is checked first, and a body that runs past the limit
 * anyway (chunked, or a server that lies) is cancelled there. For
 * `readBytes(key, maxBytes)` of the HTTP-based remotes (remote_http, remote_s3).
 */
import { RemoteError } from "../lib/plugin/remote_api.ts";
import { concatBytes } from "./_bytes.ts";

/** The error for an object larger than a readBytes caller accepts. */
export function tooLarge(key: string, size: number | string, maxBytes: number): RemoteError {
  return new RemoteError(`${key} is ${size} bytes, more than the ${maxBytes} accepted`, {
    code: "EFBIG",
  });
}

/** `res`'s body as bytes, refused past `maxBytes` (undefined: no limit). */
export async function readCapped(
  res: Response,
  key: string,
  maxBytes: number | undefined,
): Promise<Uint8Array> {
  if (maxBytes === undefined) return new Uint8Array(await res.arrayBuffer());
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge(key, declared, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      total += chunk.length;
      if (total > maxBytes) {
        // leaving the loop early cancels the stream: nothing more is read
        throw tooLarge(key, `over ${maxBytes}`, maxBytes);
      }
      chunks.push(chunk);
    }
  }
  return chunks.length ? concatBytes(chunks, total) : new Uint8Array(0);
}
