/**
 * What a sandboxed stage hands back is judged as the sandbox saw it.
 *
 * cairn caches (and later pushes) a stage's outputs from outside the
 * sandbox, where it can see more: the host's /tmp, /run, /proc and /dev, the
 * project files hermetic mode hid, and - when cairn runs as root - files of
 * other users that the capability-less sandbox could not open. An output
 * that is a symlink would make cairn read such a file on the stage's behalf.
 * So every output, and every entry inside an output folder, must be a
 * regular file, a folder, or a symlink that resolves either inside the
 * stage's own outputs or to a regular file the stage itself could have read
 * at that same path. Anything else (FIFOs, sockets, devices, links to hidden
 * or unreadable files, links to folders outside the outputs) is removed and
 * reported as a fatal violation, before anything is hashed.
 */
import { isWithin, lstatOrNull, parentOf, realPathOf, relPath } from "./_paths.ts";
import type { Mount } from "./bwrap.ts";
import type { Violation } from "./violations.ts";

/** The parts of a sandbox plan the check needs. */
export interface OutputView {
  /** mounts in the order bwrap applies them (a later one covers an earlier). */
  mounts: readonly Mount[];
  /** declared outputs, absolute (where they are on the host after the run). */
  outs: readonly string[];
  cwd: string;
  repoRoot: string;
  /**
   * declared outputs that were symlinks before the run, with their targets:
   * one still pointing the same way is left alone (a persisted output checked
   * out as a link into the cache is the user's, not something the stage made).
   */
  linksBefore?: ReadonlyMap<string, string>;
  /** the DVC cache (real path): the only place an unchanged output link may lead. */
  cacheDir?: string;
}

/** Paths bwrap replaces with fresh instances (`--dev`, `--proc`), never the host's. */
const FRESH = ["/dev", "/proc"];

/**
 * True when the sandbox saw the host file at `real` (a real path) at that
 * same path: the last mount covering it is a bind of the same host place.
 */
export function seenAtSamePath(view: Pick<OutputView, "mounts">, real: string): boolean {
  if (FRESH.some((f) => isWithin(real, f))) return false;
  let cover: Mount | undefined;
  for (const m of view.mounts) if (isWithin(real, m.dest)) cover = m;
  if (!cover || (cover.op !== "ro" && cover.op !== "rw") || !cover.src) return false;
  const rest = real === cover.dest
    ? ""
    : real.slice(cover.dest === "/" ? 1 : cover.dest.length + 1);
  const host = rest ? (cover.src === "/" ? `/${rest}` : `${cover.src}/${rest}`) : cover.src;
  return host === real;
}

function modeAllows(st: Deno.FileInfo, bit: 4 | 1, uid: number, gid: number): boolean {
  const mode = st.mode ?? 0;
  if (st.uid === uid) return (mode & (bit << 6)) !== 0;
  if (st.gid === gid) return (mode & (bit << 3)) !== 0;
  return (mode & bit) !== 0;
}

/**
 * Whether a process with cairn's uid and gid but no capabilities (the
 * sandbox drops them all) may read `real`. Only differs from cairn's own
 * access when cairn has capabilities, i.e. runs as root.
 */
export function readableWithoutCaps(real: string): boolean {
  const uid = Deno.uid();
  const gid = Deno.gid();
  if (uid === null || gid === null || uid !== 0) return true;
  const parts = real.split("/").filter(Boolean);
  let dir = "/";
  for (let i = 0; i < parts.length; i++) {
    const st = lstatOrNull(dir);
    if (!st || !modeAllows(st, 1, uid, gid)) return false;
    dir = dir === "/" ? `/${parts[i]}` : `${dir}/${parts[i]}`;
  }
  const st = lstatOrNull(real);
  return st !== null && modeAllows(st, 4, uid, gid);
}

function kindOf(st: Deno.FileInfo): string {
  if (st.isFile) return "file";
  if (st.isDirectory) return "folder";
  if (st.isSymlink) return "symlink";
  if (st.isFifo) return "FIFO";
  if (st.isSocket) return "socket";
  if (st.isCharDevice || st.isBlockDevice) return "device";
  return "special file";
}

/**
 * Check the outputs of a finished sandboxed run (after staging was moved
 * back); removes what must not be cached and returns one fatal violation
 * per removed entry.
 */
export function checkOutputs(view: OutputView): Violation[] {
  const violations: Violation[] = [];
  const outsReal = view.outs.map((o) =>
    `${realPathOf(parentOf(o))}/${o.slice(o.lastIndexOf("/") + 1)}`
  );
  const inOutputs = (real: string) => outsReal.some((o) => isWithin(real, o));
  const shown = (p: string) => isWithin(p, view.repoRoot) ? relPath(view.cwd, p) : p;
  const refuse = (p: string, why: string) => {
    violations.push({
      kind: "output",
      subject: p,
      message: `output '${shown(p)}' ${why}; it was removed and nothing of it is cached`,
      source: "check",
      fatal: true,
    });
    try {
      Deno.removeSync(p);
    } catch { /* already gone */ }
  };
  const visit = (p: string) => {
    const st = lstatOrNull(p);
    if (!st) return;
    if (st.isFile) return;
    if (st.isDirectory) {
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(p)];
      } catch {
        return; // unreadable: hashing will report it
      }
      for (const e of entries) {
        // The folder's own entry types (d_type) spare an lstat per plain file.
        if (e.isFile) continue;
        visit(`${p}/${e.name}`);
      }
      return;
    }
    if (!st.isSymlink) {
      refuse(p, `is a ${kindOf(st)}, not a file or folder`);
      return;
    }
    let target = "";
    try {
      target = Deno.readLinkSync(p);
    } catch { /* raced away */ }
    let real: string;
    try {
      real = Deno.realPathSync(p);
    } catch {
      return; // dangling: there is nothing to read through it
    }
    const tst = lstatOrNull(real);
    if (!tst) return;
    if (inOutputs(real)) return; // a link between the stage's own outputs
    const via = `is a symlink to '${target}'${target === real ? "" : ` (${real})`}`;
    if (!tst.isFile) {
      refuse(p, `${via}, a ${kindOf(tst)} outside the stage's outputs`);
    } else if (!seenAtSamePath(view, real)) {
      refuse(p, `${via}, which the sandbox hid from the stage`);
    } else if (!readableWithoutCaps(real)) {
      refuse(p, `${via}, which the stage could not read`);
    }
  };
  view.outs.forEach((lexical, i) => {
    const before = view.linksBefore?.get(lexical);
    if (before !== undefined) {
      try {
        const same = Deno.readLinkSync(outsReal[i]) === before;
        const c = view.cacheDir;
        if (same && c && isWithin(Deno.realPathSync(outsReal[i]), c)) return;
      } catch { /* no longer a link, or dangling: check it */ }
    }
    visit(outsReal[i]);
  });
  return violations;
}

/** Largest control file cairn reads back from a sandboxed run, per file. */
export const CONTROL_CAP = 64 * 1024 * 1024;

/** A control file the stage replaced (symlink, FIFO, device...) or grew past the cap. */
export class ControlFileTampered extends Error {
  constructor(readonly path: string, readonly why: string) {
    super(`${path}: ${why}`);
  }
}

/**
 * Read one of cairn's control files back from the sandbox's control folder,
 * which the stage can write: never through a symlink, only a regular file,
 * at most `cap` bytes (more is an error, or with `truncate` cut off). null
 * when absent. The sandbox has exited when this is
 * called (its pid namespace is gone), so nothing can swap the file between
 * the lstat and the read; the fstat check guards the rest.
 */
export function readControlFile(
  p: string,
  cap: number = CONTROL_CAP,
  opts: { truncate?: boolean } = {},
): string | null {
  const st = lstatOrNull(p);
  if (!st) return null;
  if (!st.isFile) throw new ControlFileTampered(p, `is a ${kindOf(st)}, not a regular file`);
  // A long trace is legitimate (a stage opening very many files): its head is enough.
  if (st.size > cap && !opts.truncate) {
    throw new ControlFileTampered(p, `is larger than ${cap} bytes`);
  }
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(p, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
  try {
    const now = f.statSync();
    if (!now.isFile || now.ino !== st.ino || now.dev !== st.dev) {
      throw new ControlFileTampered(p, "changed while being opened");
    }
    const buf = new Uint8Array(Math.min(now.size, cap));
    let off = 0;
    while (off < buf.length) {
      const n = f.readSync(buf.subarray(off));
      if (n === null) break;
      off += n;
    }
    return new TextDecoder().decode(buf.subarray(0, off));
  } finally {
    f.close();
  }
}
