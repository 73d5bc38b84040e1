/**
 * Streaming an HTTP response body into a file for the remote plugins that
 * speak HTTP (S3, HTTP/WebDAV): a stalled body is aborted, progress is
 * reported every 8 MiB, and a short body is a transient error (retried).
 */
import { RemoteError } from "./remote_api.ts";

const PROGRESS_STEP = 8 * 1024 * 1024;
/**
 * Bodies up to this size (by Content-Length) are read whole and written in one
 * call: streaming a small body chunk by chunk costs ~3x the CPU of the request.
 */
const WHOLE_BODY = 1024 * 1024;

export interface SaveBodyOptions {
  /** object key, for messages and progress. */
  key: string;
  /** aborts the request when the body stalls. */
  abort?: AbortController;
  /** seconds without data before aborting. */
  readTimeout: number;
  progress(key: string, bytes: number): void;
  /** a body of at most this many bytes comes back as `data`, `dest` untouched (GetOptions.inlineMax). */
  inlineMax?: number;
}

/** What saveBody got: the byte count, and the bytes themselves when returned inline. */
export interface SavedBody {
  ok: true;
  bytes: number;
  data?: Uint8Array;
}

/** Abort a download whose body stalls for `seconds` (reset on every chunk). */
function watchdog(ctl: AbortController | undefined, seconds: number) {
  let t: ReturnType<typeof setTimeout> | undefined;
  const kick = () => {
    clearTimeout(t);
    t = setTimeout(() => ctl?.abort(new Error(`no data for ${seconds} s`)), seconds * 1000);
  };
  kick();
  return { kick, stop: () => clearTimeout(t) };
}

/** Write `res`'s body to `dest` (or return it inline when small enough); the get() result. */
export async function saveBody(
  res: Response,
  dest: string,
  opts: SaveBodyOptions,
): Promise<SavedBody> {
  const expected = Number(res.headers.get("content-length") ?? NaN);
  if (expected <= WHOLE_BODY) {
    const data = await readSmall(res, expected, opts);
    if (data.length <= (opts.inlineMax ?? -1)) return { ok: true, bytes: data.length, data };
    await Deno.writeFile(dest, data);
    return { ok: true, bytes: data.length };
  }
  const file = await Deno.open(dest, { write: true, create: true, truncate: true });
  let bytes = 0;
  let reported = 0;
  const dog = watchdog(opts.abort, opts.readTimeout);
  try {
    if (res.body) {
      try {
        for await (const chunk of res.body) {
          dog.kick();
          let off = 0;
          while (off < chunk.length) off += await file.write(chunk.subarray(off));
          bytes += chunk.length;
          if (bytes - reported >= PROGRESS_STEP) {
            opts.progress(opts.key, bytes - reported);
            reported = bytes;
          }
        }
      } catch (err) {
        throw new RemoteError(`download of ${opts.key} interrupted: ${(err as Error).message}`, {
          transient: true,
        });
      }
    }
  } finally {
    dog.stop();
    file.close();
  }
  if (!Number.isNaN(expected) && bytes !== expected) {
    throw new RemoteError(`download of ${opts.key} truncated (${bytes}/${expected} bytes)`, {
      transient: true,
    });
  }
  return { ok: true, bytes };
}

/** A body of known small size in one read (the watchdog covers the whole read). */
async function readSmall(
  res: Response,
  expected: number,
  opts: SaveBodyOptions,
): Promise<Uint8Array> {
  const dog = watchdog(opts.abort, opts.readTimeout);
  let data: Uint8Array;
  try {
    data = await res.bytes();
  } catch (err) {
    throw new RemoteError(`download of ${opts.key} interrupted: ${(err as Error).message}`, {
      transient: true,
    });
  } finally {
    dog.stop();
  }
  if (data.length !== expected) {
    throw new RemoteError(`download of ${opts.key} truncated (${data.length}/${expected} bytes)`, {
      transient: true,
    });
  }
  return data;
}
