/**
 * Host side of runner plugins. Built-in runners (`shell`, `deno`) are cairn's
 * own code and run in-process: what confines a stage is bwrap or Deno's
 * permission flags on the stage's child process. A project's runner plugin
 * runs in a Worker, one per command, with:
 *   - policy off: the permissions its manifest declares (placeholders
 *     `{repoRoot}`, `{cacheDir}`, `{home}`, `{env.NAME}`, `{stage.cwd}`);
 *   - policy on/hermetic: the stage's declaration instead, as for the deno
 *     runner: read = everything (on) or deps + outs + read grants + its own
 *     code (hermetic), write = outs + write grants, net/env = the grants, and
 *     never `run` (a child process would escape Deno's permissions).
 */
import { dirname, fromFileUrl as fileURLToPath } from "../path.ts";
import { CairnError } from "../errors.ts";
import { builtinLoader } from "./builtins.ts";
import { PluginPermissionError, type PluginSpec, startPlugin } from "./loader.ts";
import type { ManifestPermissions } from "./manifest.ts";
import type {
  CreateRunner,
  RunnerImpl,
  RunnerIo,
  RunnerRequest,
  RunnerResult,
} from "./runner_api.ts";
import { denoArgs } from "../sandbox/deno_args.ts";
import { denoPermissionViolation } from "../sandbox/deno_violations.ts";
import { SandboxGrantError } from "../sandbox/errors.ts";
import { filterEnv, resolveGrants } from "../sandbox/grants.ts";

/** A runner ready to run commands. */
export interface Runner {
  spec: PluginSpec;
  /** runs in cairn's process (built-in) rather than in a Worker. */
  inProcess: boolean;
  accepts(cmd: string): Promise<boolean>;
  run(req: RunnerRequest, io?: RunnerIo): Promise<RunnerResult>;
}

const loaded = new Map<string, Promise<RunnerImpl>>();

/** Load a runner: in-process for built-ins, a Worker per command for project plugins. */
export async function openRunner(spec: PluginSpec): Promise<Runner> {
  const builtin = spec.builtin ? builtinLoader(spec.module) : undefined;
  if (builtin) {
    let p = loaded.get(spec.manifest.name);
    if (!p) {
      p = builtin().then((m) => (m as { create: CreateRunner }).create({}, {}));
      loaded.set(spec.manifest.name, p);
    }
    const impl = await p;
    return {
      spec,
      inProcess: true,
      accepts: async (cmd) => impl.accepts ? await impl.accepts(cmd) : true,
      run: (req, io) => impl.run(req, io),
    };
  }
  return {
    spec,
    inProcess: false,
    accepts: () => Promise.resolve(true),
    run: (req, io) => runInWorker(spec, req, io),
  };
}

/** The Worker permissions a project runner gets for one command (see the module comment). */
export function workerRunnerPermissions(
  spec: PluginSpec,
  req: RunnerRequest,
): ManifestPermissions {
  if (req.policy === "off") return spec.manifest.permissions;
  const name = spec.manifest.name;
  if ((spec.manifest.permissions.run ?? []).length) {
    throw new SandboxGrantError(
      req.stage,
      `runner '${name}' starts programs (its manifest asks for 'run'), which Deno's permissions ` +
        `cannot confine, so it cannot run under policy ${req.policy}`,
      "use the shell runner (bwrap) for this stage, or policy off",
    );
  }
  const grants = resolveGrants(req.grants, {
    stage: req.stage,
    cwd: req.cwd,
    repoRoot: req.repoRoot,
    cacheDir: req.cacheDir,
    env: req.env,
  });
  if (grants.net === true) {
    throw new SandboxGrantError(
      req.stage,
      `runner '${name}' runs in a Worker, whose network grant must list hosts (net: true is not supported)`,
      "list the hosts: meta: {sandbox: {net: [host:port]}}",
    );
  }
  const code = spec.module.startsWith("file:") ? dirname(fileURLToPath(spec.module)) : undefined;
  // denoArgs() holds the careful part (symlinks inside granted folders, outputs in
  // the cache refused); the "script" is the plugin's own code.
  const plan = denoArgs(`deno run ${code ?? req.cwd}/mod.ts`, {
    cwd: req.cwd,
    repoRoot: req.repoRoot,
    cacheDir: req.cacheDir,
    deps: req.deps,
    outs: req.outs,
    grants,
    stage: req.stage,
  });
  const read = req.policy === "on" ? ["/"] : [...plan.allowRead, ...(code ? [code] : [])];
  return {
    read,
    write: plan.allowWrite,
    net: plan.allowNet === true ? [] : plan.allowNet,
    env: plan.allowEnv,
    run: [],
  };
}

async function runInWorker(
  spec: PluginSpec,
  req: RunnerRequest,
  io?: RunnerIo,
): Promise<RunnerResult> {
  const permissions = workerRunnerPermissions(spec, req);
  const confined = req.policy !== "off";
  const request: RunnerRequest = confined
    ? { ...req, env: filterEnv(req.env, req.grants.env).env }
    : req;
  const handle = await startPlugin(
    { ...spec, manifest: { ...spec.manifest, permissions } },
    {
      cacheDir: req.cacheDir,
      env: req.env,
      extra: { repoRoot: req.repoRoot, "stage.cwd": req.cwd },
    },
  );
  const onAbort = () => handle.close();
  io?.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const r = await handle.call<RunnerResult>("run", [request]);
    const enc = new TextEncoder();
    if (r.stdout) (io?.onStdout ?? write(Deno.stdout))(enc.encode(r.stdout));
    if (r.stderr) (io?.onStderr ?? write(Deno.stderr))(enc.encode(r.stderr));
    return { ...r, violations: r.violations ?? [] };
  } catch (err) {
    if (io?.signal?.aborted) throw err;
    if (confined && err instanceof PluginPermissionError) {
      return {
        exitCode: 1,
        violations: [
          denoPermissionViolation(err.permission, err.target, {
            repoRoot: req.repoRoot,
            cacheDir: req.cacheDir,
            cwd: req.cwd,
            who: `runner '${spec.manifest.name}'`,
          }),
        ],
      };
    }
    if (err instanceof CairnError) {
      // named by stage, keeping the exit code (an interrupt stays 252)
      throw new CairnError(`stage '${req.stage}': ${err.message}`, {
        cause: err,
        hint: err.hint,
        exitCode: err.exitCode,
      });
    }
    throw err;
  } finally {
    io?.signal?.removeEventListener("abort", onAbort);
    handle.close();
  }
}

function write(fd: { writeSync(p: Uint8Array): number }) {
  return (chunk: Uint8Array) => {
    let off = 0;
    while (off < chunk.length) off += fd.writeSync(chunk.subarray(off));
  };
}
