/**
 * Atomic file writes: data goes to a temp file in the same directory, is
 * flushed, then renamed over the target, so a reader (or a crash) never sees
 * a half-written file.
 */
import { fsError } from "../errors.ts";

export { tempPathFor } from "./temp_files.ts";
import { tempPathFor } from "./temp_files.ts";

export interface AtomicWriteOptions {
  /** file mode applied before the rename (e.g. 0o444 for cache objects). */
  mode?: number;
  /** create missing parent directories. */
  mkdirs?: boolean;
  /** fsync before rename (default true; bulk cache writes turn it off for speed, as DVC does). */
  fsync?: boolean;
}

export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): void {
  if (opts.mkdirs) {
    const slash = path.lastIndexOf("/");
    if (slash > 0) Deno.mkdirSync(path.slice(0, slash), { recursive: true });
  }
  const tmp = tempPathFor(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const f = Deno.openSync(tmp, { write: true, createNew: true });
    try {
      let off = 0;
      while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
      if (opts.fsync !== false) f.syncDataSync();
    } finally {
      f.close();
    }
    if (opts.mode !== undefined) Deno.chmodSync(tmp, opts.mode);
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never created or already gone */ }
    throw fsError(err, "writing", path);
  }
}

export function writeTextAtomic(
  path: string,
  text: string,
  opts: AtomicWriteOptions = {},
): void {
  writeFileAtomic(path, text, opts);
}
