/**
 * Running one stage command line the way DVC does (dvc-spec §10.4): through
 * `$SHELL -c` (bash without rc files, ...) in the stage's working dir, with
 * DVC_ROOT / DVC_STAGE added to the environment. Each command gets its own
 * process group, so an interrupt can stop everything it started
 * (SIGINT, then SIGTERM, then SIGKILL to the whole group).
 */
import { CairnError } from "../errors.ts";
import { runningGroups, signalNumber, spawnProcess } from "../proc/spawn.ts";
import { shellCommand } from "../proc/shell.ts";

/** A stage command exited non-zero (DVC `StageCmdFailedError`). */
export class StageCmdFailedError extends CairnError {
  constructor(readonly cmd: string, readonly code: number, readonly signal?: string | null) {
    super(`failed to run: ${cmd}, exited with ${signal ? -signalNumber(signal) : code}`);
  }
}

/** The shell and its flags (`$SHELL`, `/bin/sh` if unset): lib/proc/shell.ts. */
export { shellCommand };

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

/** Process groups of the commands running now (for an emergency stop). */
export { runningGroups };

/**
 * Run one command line. Resolves when it exits 0; rejects with
 * StageCmdFailedError otherwise, or with the abort reason when `signal`
 * fired (after the process group is gone). Spawning, the process group and
 * the INT/TERM/KILL escalation are lib/proc/spawn.ts's.
 */
export async function runCommand(cmd: string, opts: RunCommandOptions): Promise<void> {
  const env = { ...Deno.env.toObject(), ...(opts.env ?? {}) };
  const argv = shellCommand(cmd, env);
  if (opts.signal?.aborted) throw opts.signal.reason;
  const sink = opts.sink;
  const r = await spawnProcess(argv, {
    cwd: opts.cwd,
    env,
    onStdout: sink ? (c) => sink("stdout", c) : "inherit",
    onStderr: sink ? (c) => sink("stderr", c) : "inherit",
    signal: opts.signal,
    killGraceMs: opts.killGraceMs,
  });
  if (r.aborted) throw opts.signal!.reason;
  if (r.code !== 0 || r.signal) throw new StageCmdFailedError(cmd, r.code, r.signal);
}

/** Line prefixing of parallel stages' output (lib/pipeline/line_prefixer.ts). */
export { LinePrefixer } from "./line_prefixer.ts";
