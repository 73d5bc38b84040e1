/**
 * Materialising a cache object in the workspace with the configured link
 * types (spec §6.2): the first type that works is used; a type failing with
 * an "unsupported here" error (EPERM, ENOTSUP, EXDEV, EINVAL, ...) falls
 * through to the next. Every link is made at a temp path and renamed over
 * the destination, so a reader never sees a partial file.
 */
import { tempPathFor } from "../fs/atomic_write.ts";
import { CairnError, fsError } from "../errors.ts";
import type { FileStamp } from "../fs/walk.ts";
import type { LinkType } from "./types.ts";
import { nativeCopy } from "./_native_link.ts";

/** errno codes that mean "this link type does not work here" (DVC's list + EMLINK). */
const UNSUPPORTED = new Set([
  "EPERM",
  "ENOTSUP",
  "EOPNOTSUPP",
  "EXDEV",
  "ENOTTY",
  "ENOSYS",
  "EINVAL",
  "EAGAIN",
  "EMLINK",
]);

export class LinkUnsupportedError extends CairnError {
  readonly linkType: LinkType;
  constructor(linkType: LinkType, cause?: unknown) {
    super(`'${linkType}' links are not supported here`, { cause });
    this.linkType = linkType;
  }
}

/**
 * A cache object that is not read-only (0444) was about to be linked with
 * `requireReadOnly`: its content must be verified first (nothing was written).
 */
export class UntrustedObjectError extends CairnError {
  constructor(path: string) {
    super(`cache object '${path}' is not read-only: verify it before use`);
  }
}

/** A cache object could not be opened (LinkOptions.failFast): missing, unreadable... */
export class ObjectUnopenedError extends CairnError {
  constructor(path: string) {
    super(`cache object '${path}' could not be opened`);
  }
}

/** No configured link type works between the cache and this path. */
export class NoLinkTypeError extends CairnError {
  constructor(types: readonly LinkType[], dst: string, cause?: unknown) {
    super(
      `no possible cache link types for '${dst}'. Tried: ${types.join(", ")}`,
      {
        cause,
        hint: "see `cache.type` in https://man.dvc.org/config#cache",
      },
    );
  }
}

function errCode(err: unknown): string | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === "string" ? c : undefined;
}

export function isUnsupportedLinkError(err: unknown): boolean {
  if (err instanceof LinkUnsupportedError) return true;
  if (err instanceof Deno.errors.NotSupported) return true;
  const code = errCode(err);
  return code !== undefined && UNSUPPORTED.has(code);
}

let umaskValue: number | undefined;
/** The process umask (read once; Deno.umask() sets and returns it). */
export function processUmask(): number {
  if (umaskValue === undefined) {
    try {
      umaskValue = Deno.umask();
    } catch {
      umaskValue = 0o022;
    }
  }
  return umaskValue;
}

/** Mode of a writable workspace copy: 0666 (0777 if exec) minus umask. */
export function workspaceFileMode(isexec: boolean, groupShared = false): number {
  const base = groupShared ? 0o664 : 0o666 & ~processUmask();
  return isexec ? base | ((base & 0o444) >> 2) : base;
}

export interface LinkOptions {
  /** copies only: make the workspace file executable */
  isexec?: boolean;
  /** copies only: group-writable (cache.shared=group) */
  groupShared?: boolean;
  /** object size if known (small objects are copied by read + write) */
  size?: number;
  /**
   * Throw UntrustedObjectError unless the object is a read-only (0444) file,
   * checked while linking (on the open file on the native path): no stat per
   * object beforehand in checkout.
   */
  requireReadOnly?: boolean;
  /**
   * `dst` is in a staging folder only this checkout writes, renamed into
   * place once complete: a copy may be written there directly (no temp).
   */
  fresh?: boolean;
  /**
   * An object that cannot be opened fails at once (a batch hands it back to
   * the caller, which looks at it) rather than being retried the slow way.
   */
  failFast?: boolean;
}

function checkReadOnly(src: string, st: Deno.FileInfo): void {
  if (!st.isFile || (st.mode! & 0o777) !== 0o444) throw new UntrustedObjectError(src);
}

/** Objects up to this size are copied by read + write (no chmod, fstat for the stamp). */
const SMALL_COPY = 1 << 20;

/**
 * Make `dst` a `type` link of cache object `src`, replacing whatever file is
 * at `dst`. Returns the new file's stamp when known without another stat
 * (small copies). Throws LinkUnsupportedError when the type is not possible.
 */
export function linkFile(
  src: string,
  dst: string,
  type: LinkType,
  opts: LinkOptions = {},
): FileStamp | undefined {
  if (type === "reflink") {
    // Deno offers no FICLONE; on CoW filesystems `copy` (copy_file_range)
    // already shares extents, so reflink is reported as unsupported.
    throw new LinkUnsupportedError("reflink");
  }
  const mode = workspaceFileMode(!!opts.isexec, opts.groupShared);
  // Without `mode`, open() applies the umask: what a plain workspace
  // file gets (mode = 0666 & ~umask). Given, Deno fchmods to exactly it.
  const plain = mode === workspaceFileMode(false) && !opts.groupShared;
  if (type === "copy" && (opts.size === undefined || opts.size <= SMALL_COPY)) {
    const fast = nativeCopy(src, dst, opts.fresh ? undefined : tempPathFor(dst), {
      mode: plain ? 0o666 : mode,
      plain,
      requireReadOnly: opts.requireReadOnly,
      maxBytes: SMALL_COPY,
    });
    if (fast) return fast;
    if (fast === null && opts.failFast) throw new ObjectUnopenedError(src);
  }
  const tmp = tempPathFor(dst);
  let stamp: FileStamp | undefined;
  try {
    if (type === "copy") {
      // Not opened before its type is known: a FIFO (or device) where the object
      // should be would block the open (the native path opens with O_NONBLOCK).
      const st = Deno.statSync(src);
      if (opts.requireReadOnly) checkReadOnly(src, st);
      else if (!st.isFile) throw new CairnError(`cache object '${src}' is not a regular file`);
      // small: read + write beats copyFileSync's copy_file_range + chmod + stat
      const data = st.size <= SMALL_COPY ? Deno.readFileSync(src) : undefined;
      if (data) {
        Deno.writeFileSync(tmp, data, plain ? { createNew: true } : { createNew: true, mode });
        // mtime is final after the last write; rename keeps inode and mtime
        const st = Deno.statSync(tmp);
        stamp = { ino: st.ino ?? 0, mtimeMs: st.mtime?.getTime() ?? 0, size: st.size };
      } else {
        Deno.copyFileSync(src, tmp);
        // The copy inherits the object's 0444; workspace copies are writable.
        Deno.chmodSync(tmp, mode);
      }
    } else if (type === "hardlink") {
      if (opts.requireReadOnly) checkReadOnly(src, Deno.statSync(src));
      Deno.linkSync(src, tmp);
    } else {
      if (opts.requireReadOnly) checkReadOnly(src, Deno.statSync(src));
      Deno.symlinkSync(src, tmp);
    }
    Deno.renameSync(tmp, dst);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch { /* not created */ }
    if (err instanceof UntrustedObjectError) throw err;
    if (type !== "copy" && isUnsupportedLinkError(err)) {
      throw new LinkUnsupportedError(type, err);
    }
    throw fsError(err, `linking (${type})`, dst);
  }
  return stamp;
}

/**
 * Links with fallback. Remembers the first type that worked and starts
 * there next time (DVC probes once per checkout the same way).
 */
export class Linker {
  readonly types: readonly LinkType[];
  #start = 0;

  constructor(types: readonly LinkType[]) {
    if (types.length === 0) throw new TypeError("no link types given");
    this.types = types;
  }

  /** The type that will be tried first (after earlier fallbacks). */
  get current(): LinkType {
    return this.types[this.#start];
  }

  /** Link `src` to `dst`; returns the type used. */
  link(src: string, dst: string, opts: LinkOptions = {}): LinkType {
    return this.linkWithStamp(src, dst, opts).type;
  }

  /** Like link(), also returning the new file's stamp when known cheaply. */
  linkWithStamp(
    src: string,
    dst: string,
    opts: LinkOptions = {},
  ): { type: LinkType; stamp?: FileStamp } {
    let lastErr: unknown;
    for (let i = this.#start; i < this.types.length; i++) {
      const t = this.types[i];
      try {
        const stamp = linkFile(src, dst, t, opts);
        this.#start = i;
        return { type: t, stamp };
      } catch (err) {
        if (!(err instanceof LinkUnsupportedError)) throw err;
        lastErr = err;
      }
    }
    throw new NoLinkTypeError(this.types, dst, lastErr);
  }
}

/** Probe which configured type works from `cacheDir` into `workDir` (like DVC's test_links). */
export function probeLinkType(
  cacheDir: string,
  workDir: string,
  types: readonly LinkType[],
): LinkType | undefined {
  const src = tempPathFor(`${cacheDir}/probe`);
  const dst = tempPathFor(`${workDir}/probe`);
  try {
    Deno.mkdirSync(cacheDir, { recursive: true });
    Deno.writeTextFileSync(src, "probe");
    for (const t of types) {
      try {
        linkFile(src, dst, t);
        return t;
      } catch (err) {
        if (!(err instanceof LinkUnsupportedError)) return undefined;
      } finally {
        try {
          Deno.removeSync(dst);
        } catch { /* not created */ }
      }
    }
    return undefined;
  } finally {
    try {
      Deno.removeSync(src);
    } catch { /* not created */ }
  }
}
