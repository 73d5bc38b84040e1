/**
 * Running one stage command line the way DVC does (dvc-spec §10.4): through
 * `$SHELL -c` (bash without rc files, ...) in the stage's working dir, with
 * DVC_ROOT / DVC_STAGE added to the environment. Each command gets its own
 * process group, so an interrupt can stop everything it started
 * (SIGINT, then SIGTERM, then SIGKILL to the whole group).
 */
import { CairnError } from "../errors.ts";

/** A stage command exited non-zero (DVC `StageCmdFailedError`). */
export class StageCmdFailedError extends CairnError {
  constructor(readonly cmd: string, readonly code: number, readonly signal?: string | null) {
    super(`failed to run: ${cmd}, exited with ${signal ? -signalNumber(signal) : code}`);
  }
}

function signalNumber(sig: string): number {
  const table: Record<string, number> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGTERM: 15,
  };
  return table[sig] ?? 1;
}

/** The shell and its flags (`$SHELL`, `/bin/sh` if unset). */
export function shellCommand(cmd: string, env: Record<string, string | undefined>): string[] {
  const shell = env.SHELL || "/bin/sh";
  const name = shell.slice(shell.lastIndexOf("/") + 1);
  const flags = name === "bash"
    ? ["--noprofile", "--norc"]
    : name === "zsh"
    ? ["--no-rcs"]
    : name === "fish"
    ? ["--no-config"]
    : [];
  return [shell, ...flags, "-c", cmd];
}

export type OutputSink = (stream: "stdout" | "stderr", data: Uint8Array) => void;

export interface RunCommandOptions {
  cwd: string;
  /** added to the inherited environment. */
  env?: Record<string, string>;
  /** null = inherit cairn's stdout/stderr (live, keeps the terminal). */
  sink?: OutputSink | null;
  signal?: AbortSignal;
  /** ms between SIGINT, SIGTERM and SIGKILL on abort. */
  killGraceMs?: number;
}

const running = new Set<number>();

/** Process groups of the commands running now (for an emergency stop). */
export function runningGroups(): number[] {
  return [...running];
}

function killGroup(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(-pid, sig);
  } catch { /* already gone */ }
}

/**
 * Run one command line. Resolves when it exits 0; rejects with
 * StageCmdFailedError otherwise, or with the abort reason when `signal`
 * fired (after the process group is gone).
 */
export async function runCommand(cmd: string, opts: RunCommandOptions): Promise<void> {
  const baseEnv = Deno.env.toObject();
  const env = { ...baseEnv, ...(opts.env ?? {}) };
  const argv = shellCommand(cmd, env);
  const capture = !!opts.sink;
  if (opts.signal?.aborted) throw opts.signal.reason;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd,
    env,
    clearEnv: true,
    // Own process group: Ctrl-C is forwarded by us to the whole group, and a
    // background group must not read the terminal (it would be stopped).
    detached: true,
    stdin: "null",
    stdout: capture ? "piped" : "inherit",
    stderr: capture ? "piped" : "inherit",
  }).spawn();
  const pid = child.pid;
  running.add(pid);
  const grace = opts.killGraceMs ?? 1000;
  let timers: ReturnType<typeof setTimeout>[] = [];
  const onAbort = () => {
    killGroup(pid, "SIGINT");
    timers = [
      setTimeout(() => killGroup(pid, "SIGTERM"), grace),
      setTimeout(() => killGroup(pid, "SIGKILL"), 2 * grace),
    ];
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const pumps: Promise<void>[] = [];
  if (capture) {
    const pump = async (stream: ReadableStream<Uint8Array>, name: "stdout" | "stderr") => {
      for await (const chunk of stream) opts.sink!(name, chunk);
    };
    pumps.push(pump(child.stdout, "stdout"), pump(child.stderr, "stderr"));
  }
  let status: Deno.CommandStatus;
  try {
    status = await child.status;
    await Promise.allSettled(pumps);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    running.delete(pid);
  }
  if (opts.signal?.aborted) {
    // The shell may be gone while its children still run: make sure.
    killGroup(pid, "SIGKILL");
    for (const t of timers) clearTimeout(t);
    throw opts.signal.reason;
  }
  for (const t of timers) clearTimeout(t);
  if (status.code !== 0 || status.signal) {
    throw new StageCmdFailedError(cmd, status.code, status.signal);
  }
}

/**
 * Splits a byte stream into lines and prefixes each (`[train] ...`), so
 * the output of stages running at once stays readable. A partial last line
 * is held until its newline or `flush()`.
 */
export class LinePrefixer {
  #buf = "";
  #dec = new TextDecoder();
  constructor(readonly prefix: string, readonly write: (text: string) => void) {}
  push(data: Uint8Array): void {
    this.#buf += this.#dec.decode(data, { stream: true });
    let nl: number;
    while ((nl = this.#buf.indexOf("\n")) !== -1) {
      this.write(`${this.prefix}${this.#buf.slice(0, nl + 1)}`);
      this.#buf = this.#buf.slice(nl + 1);
    }
  }
  flush(): void {
    this.#buf += this.#dec.decode();
    if (this.#buf) this.write(`${this.prefix}${this.#buf}\n`);
    this.#buf = "";
  }
}
