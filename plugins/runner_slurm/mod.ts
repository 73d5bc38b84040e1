/**
 * The `slurm` runner: one batch job per stage command. cairn writes a job
 * script under `.dvc/tmp/slurm/` (the workspace must be on a filesystem the
 * compute nodes share), submits it with `sbatch --parsable`, follows the job
 * with `scontrol show job` every 50 ms, backing off to 1 s for long jobs
 * (`sbatch --wait` polls every few seconds), while tailing its output file into cairn's output, and reports the
 * job's final state. Hashing and committing the outputs stay with cairn, after
 * the job ends, so run-cache, dvc.lock and status work as for a local run.
 * An abort (Ctrl-C) cancels the job with scancel and waits until Slurm has
 * ended it, so none is left queued.
 */
import type {
  CreateRunner,
  RunnerImpl,
  RunnerIo,
  RunnerRequest,
  RunnerResult,
} from "../../lib/plugin/runner_api.ts";
import { CairnError } from "../../lib/errors.ts";
import { shellCommand } from "../../lib/pipeline/run_command.ts";
import { writeFileAtomic } from "../../lib/fs/atomic_write.ts";
import { isActive, jobSettings, jobState, sbatchArgs, slurmCall } from "./slurm.ts";
import { resultPath } from "./job.ts";
import { triggerInterrupt } from "../../lib/interrupt.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const POLL_MS = 50;
/**
 * Poll every 50 ms for the first seconds (short stages finish as soon as Slurm
 * says so), then back off to one query a second, so long jobs do not keep the
 * cluster's controller busy.
 */
export function pollDelay(elapsedMs: number): number {
  if (elapsedMs < 3_000) return POLL_MS;
  return Math.min(1_000, Math.round(POLL_MS * 1.5 ** ((elapsedMs - 3_000) / 1_000 + 1)));
}
let seq = 0;

/** Quoted for a POSIX shell. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The command line that runs this cairn again (compiled binary or `deno run cli.ts`). */
export function selfCommand(args: string[]): string[] {
  const exe = Deno.execPath();
  if (!/(^|\/)deno$/.test(exe)) return [exe, ...args];
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  return [
    exe,
    "run",
    "-q",
    "-P=cairn",
    "--config",
    join(root, "deno.json"),
    join(root, "cli.ts"),
    ...args,
  ];
}

/** The job runs cairn (the sandbox launcher) rather than the bare command. */
function needsCairn(req: RunnerRequest): boolean {
  return req.policy !== "off" || !!req.explainInputs;
}

/**
 * The batch script, in the stage's folder: policy off, the command as DVC
 * runs it; under a sandbox policy, `cairn runners _job REQUEST` (job.ts).
 */
export function jobScript(req: RunnerRequest, requestFile?: string): string {
  const argv = requestFile
    ? selfCommand(["runners", "_job", requestFile])
    : shellCommand(req.cmd, req.env);
  return [
    "#!/bin/sh",
    `# cairn stage ${req.stage.replaceAll("\n", " ")}`,
    `cd ${shQuote(req.cwd)} || exit 1`,
    `exec ${argv.map(shQuote).join(" ")}`,
    "",
  ].join("\n");
}

/** A job name Slurm accepts: `cairn:<stage>`. */
export function jobName(stage: string): string {
  return `cairn:${stage}`.replace(/[^A-Za-z0-9_.:@+-]/g, "_").slice(0, 100);
}

/** Wait `ms`, or less when `signal` aborts (Ctrl-C is acted on at once). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** What the job's sandbox launcher reported (undefined when it did not get that far). */
function readResult(request: string): RunnerResult | undefined {
  try {
    const r = JSON.parse(Deno.readTextFileSync(resultPath(request))) as RunnerResult;
    return { ...r, violations: r.violations ?? [] };
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Reads what was appended to a file since the last call. */
class Tail {
  #off = 0;
  #buf = new Uint8Array(64 * 1024);
  constructor(readonly path: string, readonly emit: (c: Uint8Array) => void) {}
  async drain(): Promise<void> {
    let f: Deno.FsFile;
    try {
      f = await Deno.open(this.path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return; // the job has not started
      throw err;
    }
    try {
      await f.seek(this.#off, Deno.SeekMode.Start);
      for (;;) {
        const n = await f.read(this.#buf);
        if (n === null || n === 0) break;
        this.#off += n;
        this.emit(this.#buf.slice(0, n));
      }
    } finally {
      f.close();
    }
  }
}

/**
 * Whether slurmstepd said it killed the job for its memory: without cgroups
 * (JobAcctGatherParams=OverMemoryKill) such a job ends FAILED, not
 * OUT_OF_MEMORY, and only this line in the job's stderr tells why.
 */
class MemoryKillWatch {
  killed = false;
  #tail = "";
  #dec = new TextDecoder();
  see(chunk: Uint8Array): void {
    if (this.killed) return;
    const text = this.#tail + this.#dec.decode(chunk, { stream: true });
    if (/slurmstepd[^\n]*: error: (Exceeded job memory limit|.*exceeded memory limit)/.test(text)) {
      this.killed = true;
    }
    this.#tail = text.slice(-200);
  }
}

function writer(fd: { writeSync(p: Uint8Array): number }) {
  return (chunk: Uint8Array) => {
    let off = 0;
    while (off < chunk.length) off += fd.writeSync(chunk.subarray(off));
  };
}

/** Cancel a job and wait (bounded) until Slurm has ended it. */
async function cancel(id: string, env: Record<string, string>): Promise<void> {
  await slurmCall("scancel", [id], env);
  for (let i = 0; i < 200; i++) {
    const s = await jobState(id, env);
    if (!s || !isActive(s.state)) return;
    await sleep(POLL_MS);
  }
}

/** What sbatch needs for one job. */
export interface JobSubmission {
  /** the batch script (its own `#!` line). */
  script: string;
  name: string;
  /** files for the job's stdout and stderr. */
  out: string;
  err: string;
  cwd: string;
  env: Record<string, string>;
  /** resource and placement options (sbatchArgs()). */
  args: string[];
  /** for the error message: `stage 'train'`, `experiment 'exp-1'`. */
  what: string;
}

/** `sbatch --parsable`: the job id, or an error with sbatch's own message. */
export async function submitJob(j: JobSubmission): Promise<string> {
  const sub = await slurmCall("sbatch", [
    "--parsable",
    `--job-name=${j.name}`,
    `--output=${j.out}`,
    `--error=${j.err}`,
    `--chdir=${j.cwd}`,
    "--export=ALL",
    ...j.args,
    j.script,
  ], j.env);
  if (!sub.ok) {
    throw new CairnError(`${j.what}: sbatch refused the job: ${sub.err || "no message"}`, {
      hint: "check meta.resources / meta.slurm and the slurm: defaults in .dvc/cairn.yaml " +
        "(`cairn doctor` lists the partitions)",
    });
  }
  return sub.out.trim().split(";")[0];
}

/**
 * Pending reasons that mean the job can never start under the cluster's
 * configuration (Slurm keeps such jobs queued unless EnforcePartLimits).
 */
const NEVER_STARTS = new Set([
  "PartitionConfig",
  "PartitionNodeLimit",
  "PartitionTimeLimit",
  "BadConstraints",
  "InvalidAccount",
  "InvalidQOS",
  "QOSNotAllowed",
  "AccountNotAllowed",
]);

/** Jobs this run follows and that have not ended (cancelled if following fails). */
const live = new Map<string, Record<string, string>>();

/**
 * While jobs are in flight, SIGTERM (a batch system or a service manager
 * stopping cairn) is handled as Ctrl-C: the run is interrupted and every job
 * cancelled, instead of cairn dying and leaving them running.
 */
let termWatched = false;
const onTerm = () => triggerInterrupt();
function watchTerm(on: boolean): void {
  if (on === termWatched) return;
  try {
    if (on) Deno.addSignalListener("SIGTERM", onTerm);
    else Deno.removeSignalListener("SIGTERM", onTerm);
    termWatched = on;
  } catch { /* signals not supported here */ }
}

async function run(req: RunnerRequest, io?: RunnerIo): Promise<RunnerResult> {
  const settings = jobSettings(req.meta, req.projectConfig, req.stage);
  const dir = `${req.repoRoot}/.dvc/tmp/slurm`;
  await Deno.mkdir(dir, { recursive: true });
  const tag = `${Date.now().toString(36)}-${Deno.pid}-${++seq}`;
  const script = `${dir}/${tag}.sh`;
  const out = `${dir}/${tag}.out`;
  const err = `${dir}/${tag}.err`;
  const request = needsCairn(req) ? `${dir}/${tag}.json` : undefined;
  // the environment can hold secrets: readable by the user only (the job runs as the user)
  if (request) writeFileAtomic(request, JSON.stringify(req), { fsync: false, mode: 0o600 });
  writeFileAtomic(script, jobScript(req, request), { fsync: false });
  if (io?.signal?.aborted) throw io.signal.reason;
  const id = await submitJob({
    script,
    name: jobName(req.stage),
    out,
    err,
    cwd: req.cwd,
    env: req.env,
    args: sbatchArgs(settings),
    what: `stage '${req.stage}'`,
  }).catch(async (e) => {
    await Deno.remove(script).catch(() => {}); // best effort: sbatch's error is the one to see
    throw e;
  });
  live.set(id, req.env);
  watchTerm(true);
  const submitted = performance.now();
  const toStderr = io?.onStderr ?? writer(Deno.stderr);
  const memory = new MemoryKillWatch();
  const tails = [
    new Tail(out, io?.onStdout ?? writer(Deno.stdout)),
    new Tail(err, (c) => {
      memory.see(c);
      toStderr(c);
    }),
  ];
  const drain = () => Promise.all(tails.map((t) => t.drain()));
  try {
    for (;;) {
      if (io?.signal?.aborted) {
        await cancel(id, req.env);
        await drain();
        throw io.signal.reason;
      }
      const s = await jobState(id, req.env);
      await drain();
      if (s?.state === "PENDING" && s.reason && NEVER_STARTS.has(s.reason)) {
        live.delete(id);
        await cancel(id, req.env);
        return {
          exitCode: 1,
          violations: [],
          failure: `Slurm job ${id} cannot start: pending with reason ${s.reason} ` +
            "(it asks for more than the partition, account or QOS allows); cancelled",
        };
      }
      if (s && isActive(s.state)) {
        await sleep(pollDelay(performance.now() - submitted), io?.signal);
        continue;
      }
      live.delete(id);
      if (!s) {
        return {
          exitCode: 1,
          violations: [],
          failure: `Slurm job ${id} is gone: scontrol no longer knows it (MinJobAge too short?)`,
        };
      }
      const sandboxed = request ? readResult(request) : undefined;
      const why = s.state === "FAILED"
        ? `exited with ${s.exitSignal ? `signal ${s.exitSignal}` : s.exitCode}`
        : s.reason ?? "";
      const failure = `Slurm job ${id} ended ${s.state}${why ? ` (${why})` : ""}` +
        (memory.killed && s.state !== "OUT_OF_MEMORY" ? ": it exceeded its memory limit" : "");
      if (sandboxed && (s.state === "COMPLETED" || s.state === "FAILED")) {
        // the sandbox's report, as for a local stage (violations name the grant to add)
        return {
          ...sandboxed,
          failure: sandboxed.exitCode !== 0 && !sandboxed.violations.length ? failure : undefined,
        };
      }
      if (s.state === "COMPLETED" && s.exitCode === 0) return { exitCode: 0, violations: [] };
      const code = s.exitSignal ? 128 + s.exitSignal : s.exitCode;
      return { exitCode: code || 1, violations: [], failure };
    }
  } finally {
    if (live.has(id)) {
      // an error while following the job: do not leave it running behind cairn's back
      live.delete(id);
      await cancel(id, req.env).catch(() => {});
    }
    if (!live.size) watchTerm(false);
    // best effort: this job's temp files; their removal must not mask its result or error
    await Deno.remove(script).catch(() => {});
    await Deno.remove(out).catch(() => {});
    await Deno.remove(err).catch(() => {});
    if (request) {
      await Deno.remove(request).catch(() => {});
      await Deno.remove(resultPath(request)).catch(() => {});
    }
  }
}

export const create: CreateRunner = (): RunnerImpl => ({
  accepts: () => true,
  run,
});
