/**
 * The runner contract: what a stage-runner plugin receives and returns.
 *
 * A runner plugin is a folder with `manifest.ts` (a {@link RunnerManifest}:
 * kind "runner", the permissions it needs, the policies it can enforce) and
 * `mod.ts` exporting `create(config, ctx)` that returns a {@link RunnerImpl}.
 * The built-in runners (`shell`, `deno`) are part of cairn and run in its
 * process, because what confines a stage is the OS sandbox or Deno's flags on
 * the child process, not the runner's own permissions. A project's runner
 * plugin runs in a Worker with the permissions its manifest declares, narrowed
 * to the stage's declaration under policy on/hermetic (lib/plugin/runner.ts).
 */
import type { OutDecl } from "../sandbox/bwrap.ts";
import type { SandboxPolicy, SandboxSpec } from "../sandbox/grants.ts";
import type { InputsReport } from "../sandbox/explain_inputs.ts";
import type { Violation } from "../sandbox/violations.ts";
import type { PluginManifest } from "./manifest.ts";

/** What a runner's manifest adds to a plugin manifest. */
export interface RunnerManifest extends PluginManifest {
  kind: "runner";
  runner?: {
    /** policies it can run a stage under (default: off only). */
    policies?: SandboxPolicy[];
    /** programs needed per policy (shown by `runners list`; checked before a run). */
    requires?: Partial<Record<SandboxPolicy, string[]>>;
    /** what commands it handles, for `runners list`. */
    commands?: string;
    /**
     * what confines a stage under each policy, in words (`runners list`).
     * Built-in runners are cairn's own code and run in its process with
     * cairn's permissions; they declare no permissions of their own and say
     * here what confines the stage instead (bwrap, Deno's flags).
     */
    confinement?: Partial<Record<SandboxPolicy, string>>;
    /**
     * the runner runs commands whose form it recognises only (accepts());
     * stages with other commands are refused when it is chosen.
     */
    matchesCommands?: boolean;
  };
}

/** One stage command to run. Plain data: it crosses to a Worker for project runners. */
export interface RunnerRequest {
  cmd: string;
  /** stage address (`train`, `sub/dvc.yaml:train`), for messages. */
  stage: string;
  /** stage working dir (absolute). */
  cwd: string;
  repoRoot: string;
  cacheDir: string;
  /** declared deps and params files, relative to cwd. */
  deps: string[];
  /** declared outs, metrics and plots, relative to cwd. */
  outs: OutDecl[];
  policy: SandboxPolicy;
  /** the stage's `meta.sandbox` grants (paths not yet resolved). */
  grants: SandboxSpec;
  /**
   * the environment for the command: the user's plus DVC_ROOT/DVC_STAGE
   * (policy off); under on/hermetic a Worker runner gets only the basic set
   * and the granted names.
   */
  env: Record<string, string>;
  /** trace file reads and report declared vs read inputs (repro --explain-inputs). */
  explainInputs?: boolean;
  /** the stage's `meta` (free-form in dvc.yaml): a batch runner reads its resources there. */
  meta?: unknown;
  /** the project's settings for this runner (`<short name>:` in .dvc/cairn.yaml), as written. */
  projectConfig?: Record<string, unknown>;
}

/** Live output and cancellation; only in-process (built-in) runners get these. */
export interface RunnerIo {
  /** undefined: output goes to cairn's own stdout/stderr as it comes. */
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  signal?: AbortSignal;
}

export interface RunnerResult {
  exitCode: number;
  /** the signal that ended the command, if one did (`SIGKILL`). */
  signal?: string;
  /** what the sandbox stopped; a `fatal` one fails the stage. */
  violations: Violation[];
  /** the command ran traced (strace). */
  traced?: boolean;
  /**
   * why the command failed, when an exit code does not say it (a batch job's
   * final state: `Slurm job 12 ended TIMEOUT`); fails the stage with this text.
   */
  failure?: string;
  /** with explainInputs: what the command read compared with its deps. */
  inputs?: InputsReport;
  /** output of a Worker runner, returned at the end (it cannot stream). */
  stdout?: string;
  stderr?: string;
}

export interface RunnerContext {
  repoRoot?: string;
  cacheDir?: string;
  home?: string;
}

export interface RunnerImpl {
  /** whether the runner can run this command (the deno runner: a Deno script). */
  accepts?(cmd: string): boolean | Promise<boolean>;
  run(req: RunnerRequest, io?: RunnerIo): Promise<RunnerResult>;
}

export type CreateRunner = (
  config: Record<string, string>,
  ctx: RunnerContext,
) => RunnerImpl | Promise<RunnerImpl>;

/** The policies a runner declares (off only when it says nothing). */
export function runnerPolicies(m: PluginManifest): SandboxPolicy[] {
  const r = (m as RunnerManifest).runner;
  return r?.policies?.length ? r.policies : ["off"];
}

/** Programs a runner needs under a policy. */
export function runnerRequires(m: PluginManifest, policy: SandboxPolicy): string[] {
  return (m as RunnerManifest).runner?.requires?.[policy] ?? [];
}

/** `runner: shell` in dvc.yaml names the plugin `runner_shell` (or one named `shell`). */
export function runnerPluginNames(name: string): string[] {
  return name.startsWith("runner_") ? [name] : [`runner_${name}`, name];
}

/** The short name users write (`runner_shell` -> `shell`). */
export function runnerShortName(pluginName: string): string {
  return pluginName.startsWith("runner_") ? pluginName.slice("runner_".length) : pluginName;
}
