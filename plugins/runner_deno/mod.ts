/**
 * The `deno` runner: `deno run [flags] x.ts args` (or `x.ts args`) with
 * --allow-read = deps + the script + outs + read grants, --allow-write =
 * outs + write grants, --allow-net / --allow-env = exactly the grants, and
 * no run/ffi/sys (lib/sandbox/deno_args.ts). The user's own permission
 * flags are dropped. Under policy off the command runs unchanged through the
 * shell, as DVC would run it.
 */
import { killGroup, spawnProcess } from "../../lib/proc/spawn.ts";
import type {
  CreateRunner,
  RunnerImpl,
  RunnerIo,
  RunnerRequest,
  RunnerResult,
} from "../../lib/plugin/runner_api.ts";
import { denoArgs, parseDenoCommand } from "../../lib/sandbox/deno_args.ts";
import { denoViolations } from "../../lib/sandbox/deno_violations.ts";
import { resolveGrants } from "../../lib/sandbox/grants.ts";
import { which } from "../../lib/sandbox/availability.ts";
import { SandboxUnavailableError } from "../../lib/sandbox/errors.ts";
import { explainInputs } from "../../lib/sandbox/explain_inputs.ts";
import { straceArgs } from "../../lib/sandbox/strace.ts";
import { ignoreNotFound, InterruptedError } from "../../lib/errors.ts";
import { passThrough, runPlain } from "../runner_shell/mod.ts";

const TAIL = 64 * 1024;

/** The deno binary for stage scripts: this one when cairn runs from source. */
export function denoBinary(): string {
  const exe = Deno.execPath();
  if (/(^|\/)deno$/.test(exe)) return exe;
  const found = which("deno");
  if (!found) {
    throw new SandboxUnavailableError(
      "deno",
      "the deno runner needs a `deno` binary, and none is on PATH",
      "install Deno (https://deno.land), or run the stage with the shell runner",
    );
  }
  return found;
}

async function run(req: RunnerRequest, io?: RunnerIo): Promise<RunnerResult> {
  if (req.policy === "off") return await runPlain(req, io);
  const grants = resolveGrants(req.grants, {
    stage: req.stage,
    cwd: req.cwd,
    repoRoot: req.repoRoot,
    cacheDir: req.cacheDir,
    env: req.env,
  });
  // DVC's two variables are part of every stage's basic environment.
  for (const n of ["DVC_ROOT", "DVC_STAGE"]) if (!grants.env.includes(n)) grants.env.push(n);
  const home = req.env.HOME;
  const denoDir = req.env.DENO_DIR ?? (home ? `${home}/.cache/deno` : undefined);
  const plan = denoArgs(req.cmd, {
    cwd: req.cwd,
    repoRoot: req.repoRoot,
    cacheDir: req.cacheDir,
    deps: req.deps,
    outs: req.outs,
    grants,
    env: req.env,
    denoDir,
    deno: denoBinary(),
    stage: req.stage,
  });
  for (const d of plan.outParents) Deno.mkdirSync(d, { recursive: true });
  const env: Record<string, string> = { ...plan.env, DENO_NO_UPDATE_CHECK: "1" };
  if (req.env.DENO_DIR) env.DENO_DIR = req.env.DENO_DIR;

  let argv = plan.argv;
  let traceDir: string | undefined;
  if (req.explainInputs) {
    if (!which("strace")) {
      throw new SandboxUnavailableError(
        "strace",
        "explaining inputs needs strace, which is not installed",
        "install it: apt-get install strace",
      );
    }
    traceDir = await Deno.makeTempDir({ prefix: "cairn-trace-" });
    argv = ["strace", ...straceArgs(`${traceDir}/trace`), "--", ...argv];
  }
  try {
    const onStdout = io?.onStdout ?? passThrough(Deno.stdout);
    const onStderr = io?.onStderr ?? passThrough(Deno.stderr);
    // lib/proc/spawn.ts: own process group, INT/TERM/KILL on abort, stderr tail.
    const run = await spawnProcess(argv, {
      cwd: req.cwd,
      env,
      onStdout,
      onStderr,
      signal: io?.signal,
      tailBytes: TAIL,
    });
    const status = { code: run.code, signal: run.signal };
    const tail = run.stderrTail;
    killGroup(run.pid, "SIGKILL"); // nothing of the stage outlives it
    if (run.aborted) throw new InterruptedError();
    const violations = denoViolations(tail, {
      repoRoot: req.repoRoot,
      cacheDir: req.cacheDir,
      cwd: req.cwd,
    }).map((v) => status.code === 0 ? { ...v, fatal: false } : v);
    if (plan.dropped.length) {
      violations.push({
        kind: "process",
        subject: plan.dropped.join(" "),
        message: `the command's own permission flags (${
          plan.dropped.join(" ")
        }) were ignored: the deno runner grants from the stage's declaration`,
        source: "cmd",
        fatal: false,
      });
    }
    let inputs;
    if (traceDir) {
      // no trace file: the program never started
      const text = await Deno.readTextFile(`${traceDir}/trace`).catch((err) => {
        ignoreNotFound(err);
        return "";
      });
      inputs = explainInputs(text.split("\n"), {
        cwd: req.cwd,
        repoRoot: req.repoRoot,
        cacheDir: req.cacheDir,
        deps: req.deps,
        outs: req.outs,
      });
    }
    return {
      exitCode: status.code,
      signal: status.signal ?? undefined,
      violations,
      traced: traceDir !== undefined,
      inputs,
    };
  } finally {
    // best effort: a temp folder; its removal must not mask the stage's result or error
    if (traceDir) await Deno.remove(traceDir, { recursive: true }).catch(() => {});
  }
}

export const create: CreateRunner = (): RunnerImpl => ({
  accepts: (cmd) => parseDenoCommand(cmd) !== undefined,
  run,
});
