/**
 * cairn's temp files and their cleanup after a crash. Every temp name carries
 * the writing process's pid and a tag of the host it runs on:
 * `.<name>.<pid>.<n>.<host><rand>.tmp`. A temp whose process is gone was left
 * by a kill -9 (or a power cut) and is cairn's to remove: quietly, the next
 * time cairn lists or writes that folder (see `walkFiles`, `tempPathFor`, gc).
 *
 * "Gone" is decided from /proc: no such pid, or a pid that now belongs to a
 * process started after the temp file was last changed (the pid was reused).
 * A temp from another host (a cache shared over NFS) is never judged, nor is
 * any temp where /proc is not available: then only `gc` of that host cleans.
 */

let counter = 0;
let hostTagCache: string | undefined;

/** 4 base36 chars naming this host (a hash of its hostname). */
export function hostTag(): string {
  if (hostTagCache !== undefined) return hostTagCache;
  let name = "";
  try {
    name = Deno.hostname();
  } catch { /* no sys permission: every cairn here gets the same tag */ }
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619) >>> 0;
  }
  hostTagCache = (h % 36 ** 4).toString(36).padStart(4, "0");
  return hostTagCache;
}

/** A unique temp path next to `path` (same folder, so a rename over `path` is atomic). */
export function tempPathFor(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const base = slash >= 0 ? path.slice(slash + 1) : path;
  sweepOnce(slash >= 0 ? path.slice(0, slash) || "/" : ".");
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${dir}.${base}.${Deno.pid}.${++counter}.${hostTag()}${rand}.tmp`;
}

/**
 * A new empty staging folder next to `path`, named like a temp file, so a
 * folder left by a killed cairn is removed like one (see removeStaleTemps).
 */
export function makeTempDirNear(path: string): string {
  const dir = tempPathFor(path);
  Deno.mkdirSync(dir);
  return dir;
}

const TEMP_RE = /^\..+\.(\d+)\.\d+\.([0-9a-z]{4})[0-9a-z]+\.tmp$/;

/** pid and host tag of a cairn temp file name; null for any other name. */
export function parseTempName(name: string): { pid: number; host: string } | null {
  if (name.charCodeAt(0) !== 46 || !name.endsWith(".tmp")) return null; // fast path: ".*.tmp"
  const m = TEMP_RE.exec(name);
  return m ? { pid: Number(m[1]), host: m[2] } : null;
}

/** Seconds since the epoch when the machine booted (/proc/stat btime); null without /proc. */
let bootTime: number | null | undefined;
function bootSeconds(): number | null {
  if (bootTime !== undefined) return bootTime;
  try {
    const m = /^btime (\d+)$/m.exec(Deno.readTextFileSync("/proc/stat"));
    bootTime = m ? Number(m[1]) : null;
  } catch {
    bootTime = null;
  }
  return bootTime;
}

/** USER_HZ: /proc reports start times in these ticks (100 on every Linux ABI). */
const CLOCK_TICKS = 100;

/**
 * Start time (epoch seconds) of process `pid`: undefined if there is no such
 * process, null if it cannot be known (no /proc).
 */
function processStart(pid: number): number | null | undefined {
  const boot = bootSeconds();
  if (boot === null) return null;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    return null;
  }
  // comm (field 2) may hold spaces and parentheses: fields count from the last ")"
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[19]); // field 22 (starttime) = index 19 after state
  return Number.isFinite(ticks) ? boot + ticks / CLOCK_TICKS : null;
}

/** Slack for comparing a start time (btime is whole seconds) with a ctime (Deno: whole seconds). */
const CLOCK_SLACK_S = 3;

/**
 * Is `dir/name` a temp file of a cairn process that no longer runs (so it
 * can be removed)? False for other names, live owners, this process, other
 * hosts, and whenever it cannot be told.
 */
export function isStaleTemp(dir: string, name: string): boolean {
  const t = parseTempName(name);
  if (!t || t.host !== hostTag() || t.pid === Deno.pid) return false;
  const start = processStart(t.pid);
  if (start === null) return false;
  if (start === undefined) return true;
  let changed: number;
  try {
    const st = Deno.lstatSync(`${dir}/${name}`);
    if (!st.isFile && !st.isDirectory) return false;
    const c = st.ctime ?? st.mtime;
    if (!c) return false;
    changed = c.getTime() / 1000;
  } catch {
    return false;
  }
  // The pid was reused: its current owner started after the temp last changed.
  return start > changed + CLOCK_SLACK_S;
}

/** Remove the stale cairn temps (files, staging folders) directly in `dir`; returns how many. Never throws. */
export function removeStaleTemps(dir: string): number {
  let removed = 0;
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(dir);
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!(e.isFile || e.isDirectory) || !parseTempName(e.name) || !isStaleTemp(dir, e.name)) {
      continue;
    }
    try {
      Deno.removeSync(`${dir}/${e.name}`, { recursive: e.isDirectory });
      removed++;
    } catch { /* raced with someone else's cleanup */ }
  }
  return removed;
}

const swept = new Set<string>();

/**
 * Start a new operation: folders are swept again (a long-lived process, a
 * library user or the in-process test rig, outlives the operation that swept
 * them). Called when the repository lock is taken.
 */
export function forgetSweeps(): void {
  swept.clear();
}

/** removeStaleTemps(dir), at most once per folder per operation (see forgetSweeps). */
export function sweepOnce(dir: string): void {
  if (swept.has(dir)) return;
  swept.add(dir);
  removeStaleTemps(dir);
}
