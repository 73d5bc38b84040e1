/**
 * The `shell` runner. Policy off: exactly DVC's way (`$SHELL -c cmd`, bash
 * with --noprofile --norc, DVC_ROOT/DVC_STAGE set, own process group; see
 * lib/pipeline/run_command.ts). Policy on/hermetic: runSandboxed() (bwrap).
 * With explainInputs the command runs under strace and its reads are
 * compared with its deps.
 */
import type {
  CreateRunner,
  RunnerImpl,
  RunnerIo,
  RunnerRequest,
  RunnerResult,
} from "../../lib/plugin/runner_api.ts";
import { runCommand, StageCmdFailedError } from "../../lib/pipeline/run_command.ts";

// The sandbox and strace layers (~90 KB of modules, node:path) load only for a
// stage that needs them, not for every plain stage (issue 16).
const sandboxLayer = () => import("../../lib/sandbox/run_sandboxed.ts");
const explainLayer = () => import("../../lib/sandbox/explain_inputs.ts");

/** Write to one of cairn's own streams, as an inherited descriptor would. */
export function passThrough(fd: { writeSync(p: Uint8Array): number }) {
  return (chunk: Uint8Array) => {
    let off = 0;
    while (off < chunk.length) off += fd.writeSync(chunk.subarray(off));
  };
}

function outputOf(io: RunnerIo | undefined) {
  return {
    onStdout: io?.onStdout ?? passThrough(Deno.stdout),
    onStderr: io?.onStderr ?? passThrough(Deno.stderr),
  };
}

/** Policy off, as DVC: the user's shell, output inherited unless captured. */
export async function runPlain(req: RunnerRequest, io?: RunnerIo): Promise<RunnerResult> {
  const capture = io?.onStdout || io?.onStderr;
  try {
    await runCommand(req.cmd, {
      cwd: req.cwd,
      env: req.env,
      sink: capture
        ? (stream, data) => (stream === "stdout" ? io!.onStdout : io!.onStderr)?.(data)
        : null,
      signal: io?.signal,
    });
    return { exitCode: 0, violations: [] };
  } catch (err) {
    if (err instanceof StageCmdFailedError) {
      return { exitCode: err.code, signal: err.signal ?? undefined, violations: [] };
    }
    throw err;
  }
}

async function run(req: RunnerRequest, io?: RunnerIo): Promise<RunnerResult> {
  const out = outputOf(io);
  if (req.policy === "off") {
    if (!req.explainInputs) return await runPlain(req, io);
    const { traceInputs } = await explainLayer();
    const r = await traceInputs(req.cmd, {
      cwd: req.cwd,
      repoRoot: req.repoRoot,
      cacheDir: req.cacheDir,
      deps: req.deps,
      outs: req.outs,
      env: req.env,
      stage: req.stage,
      ...out,
      signal: io?.signal,
    });
    return { exitCode: r.exitCode, violations: [], traced: true, inputs: r.report };
  }
  let trace: string | undefined;
  const { runSandboxed } = await sandboxLayer();
  const r = await runSandboxed(req.cmd, {
    cwd: req.cwd,
    env: req.env,
    policy: req.policy,
    grants: req.grants,
    deps: req.deps,
    outs: req.outs,
    repoRoot: req.repoRoot,
    cacheDir: req.cacheDir,
    stage: req.stage,
    ...out,
    signal: io?.signal,
    trace: req.explainInputs ? true : "auto",
    onTrace: req.explainInputs ? (t) => (trace = t) : undefined,
  });
  const inputs = trace === undefined
    ? undefined
    : (await explainLayer()).explainInputs(trace.split("\n"), {
      cwd: req.cwd,
      repoRoot: req.repoRoot,
      cacheDir: req.cacheDir,
      deps: req.deps,
      outs: req.outs,
    });
  return { exitCode: r.exitCode, violations: r.violations, traced: r.traced, inputs };
}

export const create: CreateRunner = (): RunnerImpl => ({
  accepts: () => true,
  run,
});
