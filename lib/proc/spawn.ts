/**
 * The one way cairn starts a child process that runs user or tool code:
 * its own process group (so an interrupt reaches everything it started),
 * abort escalation SIGINT -> SIGTERM -> SIGKILL to the whole group, output
 * pumped to callbacks (optionally prefixed per line), and the tail of stderr
 * kept for error messages.
 */
import { resolve } from "../path.ts";
import { ignoreDenied, InterruptedError } from "../errors.ts";

export interface SpawnOptions {
  cwd?: string;
  /** full environment of the child (with clearEnv) or additions to cairn's. */
  env?: Record<string, string>;
  /** start from an empty environment plus `env` (default true). */
  clearEnv?: boolean;
  /** "piped": the child's stdin is handed to `onSpawn` (close it to send EOF). */
  stdin?: "null" | "inherit" | "piped";
  /** called once the child runs (its pid, its stdin when piped). */
  onSpawn?: (child: Deno.ChildProcess) => void;
  /** receive stdout chunks; "inherit" keeps cairn's own stdout (live TTY). */
  onStdout?: ((chunk: Uint8Array) => void) | "inherit";
  onStderr?: ((chunk: Uint8Array) => void) | "inherit";
  /** prefix every output line (e.g. `[stage] `); needs callbacks. */
  prefix?: string;
  signal?: AbortSignal;
  /** ms between SIGINT, SIGTERM and SIGKILL after an abort (default 1000). */
  killGraceMs?: number;
  /** bytes of stderr kept for messages (default 64 KiB). */
  tailBytes?: number;
}

export interface SpawnResult {
  code: number;
  /** the signal that ended the child, if any. */
  signal: Deno.Signal | null;
  /** last `tailBytes` of stderr, decoded. */
  stderrTail: string;
  /** the abort signal fired (the group was stopped). */
  aborted: boolean;
  pid: number;
}

const running = new Set<number>();

/** Process groups of children running now (for an emergency stop). */
export function runningGroups(): number[] {
  return [...running];
}

/** Send `sig` to the process group led by `pid`; false when it is gone. */
export function killGroup(pid: number, sig: Deno.Signal): boolean {
  try {
    Deno.kill(-pid, sig);
    return true;
  } catch {
    // gone (ESRCH), or not ours to signal (EPERM, no run permission): nothing more to do,
    // and an interrupt in progress must go on
    return false;
  }
}

function prefixed(prefix: string, sink: (c: Uint8Array) => void): (c: Uint8Array) => void {
  const enc = new TextEncoder();
  let atStart = true;
  return (chunk) => {
    const parts: Uint8Array[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (atStart) {
        parts.push(enc.encode(prefix));
        atStart = false;
      }
      if (chunk[i] === 10) {
        parts.push(chunk.subarray(from, i + 1));
        from = i + 1;
        atStart = true;
      }
    }
    if (from < chunk.length) parts.push(chunk.subarray(from));
    for (const p of parts) sink(p);
  };
}

/** Is `path` a regular file someone may execute? */
function executable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false; // missing, unreadable folder, ...: not a candidate
  }
}

/** `setsid(1)` (util-linux, busybox), when cairn may run it; null otherwise. Looked up once. */
let setsidPath: string | null | undefined;
function setsidProgram(): string | null {
  if (setsidPath !== undefined) return setsidPath;
  setsidPath = null;
  for (const p of ["/usr/bin/setsid", "/bin/setsid"]) {
    if (!executable(p)) continue;
    try {
      // a plugin Worker may run only the programs its manifest names
      if (Deno.permissions.querySync({ name: "run", command: p }).state !== "granted") break;
    } catch {
      break; // no permission API here: keep Deno's own way
    }
    setsidPath = p;
    break;
  }
  return setsidPath;
}

/**
 * The absolute path the child's exec would run for `program` (a name is
 * looked up in the child's PATH, else cairn's, as Deno does), or null when
 * it is not found or not executable (Deno's spawn then reports the error
 * as it always did).
 */
function resolveProgram(program: string, opts: SpawnOptions): string | null {
  try {
    // the child runs in opts.cwd: a relative path is taken from there
    if (program.includes("/")) {
      const abs = resolve(opts.cwd ?? ".", program);
      return executable(abs) ? abs : null;
    }
    // what Deno searches: the child's PATH, else cairn's
    const path = opts.env?.PATH ?? Deno.env.get("PATH");
    if (path === undefined) return null;
    for (const dir of path.split(":")) {
      const abs = resolve(opts.cwd ?? ".", dir || ".", program);
      if (executable(abs)) return abs;
    }
    return null;
  } catch (err) {
    ignoreDenied(err);
    return null; // no env/read permission (a plugin Worker): leave the lookup to Deno
  }
}

/**
 * How the child gets its own session (and so its own process group, led by
 * its pid, without the terminal). Deno's `detached` does that with fork() +
 * setsid() in the child: fork() copies cairn's page tables, several ms of
 * CPU per stage for a process of cairn's size. `setsid PROGRAM` spawned the
 * ordinary way (vfork + exec; the child is never a group leader, so
 * setsid(1) calls setsid() and execs PROGRAM without forking) gives the
 * same child: same pid, same session, same exit status and signals.
 * Falls back to `detached` where setsid(1) is missing or not allowed, and
 * when the program does not resolve (so Deno reports NotFound as before).
 */
function commandFor(
  argv: string[],
  opts: SpawnOptions,
): { program: string; args: string[]; detached: boolean } {
  const setsid = setsidProgram();
  const program = setsid ? resolveProgram(argv[0], opts) : null;
  if (setsid && program) {
    return { program: setsid, args: [program, ...argv.slice(1)], detached: false };
  }
  return { program: argv[0], args: argv.slice(1), detached: true };
}

/**
 * Start `argv` in its own process group (its own session) and wait for it.
 * Never throws for a non-zero exit (see `code`); throws InterruptedError
 * when `signal` was already aborted, and NotFound when the program does not
 * exist.
 */
export async function spawnProcess(argv: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  if (opts.signal?.aborted) throw new InterruptedError();
  const pipeOut = typeof opts.onStdout === "function";
  const pipeErr = opts.onStderr !== "inherit";
  const how = commandFor(argv, opts);
  const child = new Deno.Command(how.program, {
    args: how.args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: opts.clearEnv ?? true,
    detached: how.detached,
    stdin: opts.stdin ?? "null",
    stdout: pipeOut ? "piped" : opts.onStdout === "inherit" ? "inherit" : "null",
    stderr: pipeErr ? "piped" : "inherit",
  }).spawn();
  const pid = child.pid;
  running.add(pid);
  opts.onSpawn?.(child);
  let aborted = false;
  const grace = opts.killGraceMs ?? 1000;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const onAbort = () => {
    aborted = true;
    killGroup(pid, "SIGINT");
    timers.push(
      setTimeout(() => killGroup(pid, "SIGTERM"), grace),
      setTimeout(() => killGroup(pid, "SIGKILL"), 2 * grace),
    );
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const cap = opts.tailBytes ?? 64 * 1024;
  const dec = new TextDecoder();
  let tail = "";
  const pumps: Promise<void>[] = [];
  if (pipeOut) {
    let sink = opts.onStdout as (c: Uint8Array) => void;
    if (opts.prefix) sink = prefixed(opts.prefix, sink);
    pumps.push((async () => {
      for await (const c of child.stdout) sink(c);
    })());
  }
  if (pipeErr) {
    let sink = typeof opts.onStderr === "function" ? opts.onStderr : undefined;
    if (sink && opts.prefix) sink = prefixed(opts.prefix, sink);
    pumps.push((async () => {
      for await (const c of child.stderr) {
        sink?.(c);
        tail += dec.decode(c, { stream: true });
        if (tail.length > cap) tail = tail.slice(tail.length - cap);
      }
    })());
  }
  let status: Deno.CommandStatus;
  try {
    status = await child.status;
    await Promise.allSettled(pumps);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    running.delete(pid);
    for (const t of timers) clearTimeout(t);
  }
  // Whatever the group left running after an abort goes too.
  if (aborted) killGroup(pid, "SIGKILL");
  return { code: status.code, signal: status.signal, stderrTail: tail, aborted, pid };
}

/** The number of a signal name (for `128 + n` exit codes). */
export function signalNumber(sig: string): number {
  const table: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGABRT: 6,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGTERM: 15,
  };
  return table[sig] ?? 1;
}

export interface ToolRunOptions {
  cwd?: string;
  /** added to cairn's environment. */
  env?: Record<string, string>;
  /** capture stdout (default) or drop it. */
  stdout?: "piped" | "null";
  stderr?: "piped" | "null";
}

/** Output of a short tool run (git plumbing and the like). */
export interface ToolRunResult {
  code: number;
  success: boolean;
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/**
 * Run a short, non-interactive tool synchronously (git plumbing): stdin
 * closed, output captured. For user commands and anything long-running use
 * spawnProcess (process group, interrupt escalation).
 */
export function runToolSync(
  program: string,
  args: string[],
  opts: ToolRunOptions = {},
): ToolRunResult {
  const out = new Deno.Command(program, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
    stdout: opts.stdout ?? "piped",
    stderr: opts.stderr ?? "piped",
  }).outputSync();
  const none = new Uint8Array();
  return {
    code: out.code,
    success: out.success,
    stdout: opts.stdout === "null" ? none : out.stdout,
    stderr: opts.stderr === "null" ? none : out.stderr,
  };
}
