/**
 * The remote plugin contract: what a remote plugin's `create()` returns, and
 * what the host calls over RPC. Kept small (exists / list / get / put / remove)
 * with batch forms, because one RPC per object would dominate small-file
 * transfers. Keys are POSIX paths relative to the remote's root
 * (`files/md5/ab/cdef...`). File data moves as files: the host passes paths in
 * its cache (which the plugin may read and write by its manifest), so bytes
 * never cross the message channel except through readBytes/writeBytes, whose
 * buffers are transferred, not copied.
 *
 * This file has no imports so third-party plugins can copy it verbatim.
 */

/** An error as it crosses the worker boundary. */
export interface WireError {
  name: string;
  message: string;
  /** e.g. ENOENT, ECONNREFUSED, EAUTH, ENOBUCKET, EUNSUPPORTED. */
  code?: string;
  /** worth retrying (connection reset, timeout, 5xx, throttling). */
  transient?: boolean;
  /** the whole transfer must stop (bad credentials, missing bucket, unreachable host). */
  fatal?: boolean;
  /** the object does not exist on the remote. */
  notFound?: boolean;
  /** a hint for the user (which config key to set ...). */
  hint?: string;
}

export type ItemResult =
  /**
   * `mode`: a download's file mode when the plugin knows it (the host then skips a chmod).
   * `data`: a download's bytes, returned instead of writing `dest` (see GetOptions.inlineMax).
   */
  | { ok: true; bytes: number; mode?: number; data?: Uint8Array }
  | { ok: false; error: WireError };

export interface PutItem {
  /** local file (in the cache) to upload. */
  src: string;
  key: string;
  /** the file's size and mode as the host just saw them (a plugin may skip its own stat). */
  size?: number;
  mode?: number;
}

export interface GetItem {
  key: string;
  /** local temp path to write; the host verifies and renames it into the cache. */
  dest: string;
}

/** Optional second argument of `RemoteImpl.get` (plugins may ignore it). */
export interface GetOptions {
  /**
   * An object of at most this many bytes may come back as the result's `data`
   * (transferred, not copied) instead of being written to `dest`: the host
   * verifies it in memory and writes the cache file itself, sparing a file
   * write and a re-read (a local folder remote).
   */
  inlineMax?: number;
}

/** One object of a detailed listing (optional `RemoteImpl.listEntries`). */
export interface ListEntry {
  key: string;
  /** the object's size in bytes. */
  size?: number;
  /** an empty folder (only remotes that have folders report them). */
  dir?: boolean;
}

export interface RemoteInfo {
  /** put/remove/writeBytes are supported. */
  write: boolean;
  /** listing a prefix is supported and cheaper than many exists() calls for big sets. */
  traverse: boolean;
  /** objects per listing page (DVC: 1000), for the traverse-vs-exists estimate. */
  listPageSize: number;
  /** a display form of the remote's location (no secrets). */
  location: string;
  /**
   * how many instances of the plugin (each in its own Worker) the host may run
   * side by side for a large transfer, splitting batches between them (default
   * 1). Worth it when the plugin's own work is CPU-bound, as a local copy is.
   */
  instances?: number;
  /**
   * the plugin's own fast path when one is in use, for display and tests (the
   * local remote: "openat2" when it moves objects through libc).
   */
  fastPath?: string;
}

/** Given to `create()`: facts from the host, and a channel for progress events. */
export interface PluginContext {
  remoteName?: string;
  cacheDir?: string;
  home?: string;
  /**
   * Real paths (symlinks resolved, as granted) of path placeholders the
   * manifest uses, e.g. `remote.path`: a plugin opens paths below these, since
   * Deno's permissions match path strings against the real grants.
   */
  realPaths?: Record<string, string>;
  /**
   * Native libraries this Worker may open through FFI, by name (`libc`) ->
   * the path to give `Deno.dlopen` (the grant matches that string). Built-in
   * plugins whose manifest asks for `ffi` only; absent when not granted.
   */
  nativeLibs?: Record<string, string>;
  /** report progress of a long item: `bytes` newly done for `key`. */
  progress(key: string, bytes: number): void;
}

export interface RemoteImpl {
  info(): RemoteInfo | Promise<RemoteInfo>;
  /** existence of each key, in order. */
  exists(keys: string[]): Promise<boolean[]>;
  /** every object key under `prefix` ("" = all; a prefix ends with "/"). */
  list(prefix: string): Promise<string[]>;
  /**
   * Optional: list() with each object's size, and empty folders as `dir`
   * entries (`ls-url` shows both). The host falls back to list() without it.
   */
  listEntries?(prefix: string): Promise<ListEntry[]>;
  get(items: GetItem[], opts?: GetOptions): Promise<ItemResult[]>;
  put(items: PutItem[]): Promise<ItemResult[]>;
  /** removing an absent key succeeds. */
  remove(keys: string[]): Promise<ItemResult[]>;
  /**
   * a small object's bytes, or null when absent; one larger than `maxBytes`
   * (when given) is a RemoteError (code EFBIG) before more than that is read.
   */
  readBytes(key: string, maxBytes?: number): Promise<Uint8Array | null>;
  writeBytes(key: string, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** A remote plugin module exports `create` (and its folder has manifest.ts). */
export type CreateRemote = (
  config: Record<string, string>,
  ctx: PluginContext,
) => RemoteImpl | Promise<RemoteImpl>;

/** Serialize any thrown value, keeping Deno's permission errors recognisable. */
export function toWireError(err: unknown, extra: Partial<WireError> = {}): WireError {
  if (err && typeof err === "object" && "name" in err && "message" in err) {
    const e = err as { name: string; message: string; code?: unknown; hint?: unknown };
    const w: WireError = { name: e.name, message: e.message };
    if (typeof e.code === "string") w.code = e.code;
    if (typeof e.hint === "string") w.hint = e.hint;
    for (const k of ["transient", "fatal", "notFound"] as const) {
      const v = (err as Record<string, unknown>)[k];
      if (typeof v === "boolean") w[k] = v;
    }
    if (e.name === "NotFound") w.notFound = true;
    if (e.name === "NotCapable") w.fatal = true;
    return { ...w, ...extra };
  }
  return { name: "Error", message: String(err), ...extra };
}

/** An Error carrying WireError flags, for plugins to throw. */
export class RemoteError extends Error {
  code?: string;
  transient?: boolean;
  fatal?: boolean;
  notFound?: boolean;
  hint?: string;
  constructor(message: string, flags: Omit<Partial<WireError>, "name" | "message"> = {}) {
    super(message);
    this.name = "RemoteError";
    Object.assign(this, flags);
  }
}

/** Run `fn` on each item with `limit` in flight, results in order (errors as results). */
export async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return out;
}
