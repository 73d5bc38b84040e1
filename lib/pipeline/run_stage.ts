/**
 * The one place the executor runs a stage command: picks the runner plugin
 * (`meta.sandbox.runner`, else `deno` for a Deno script under a sandbox
 * policy, else `shell`), the policy (run > stage meta > project
 * `.dvc/cairn.yaml` > off) and turns what the runner reports into the
 * stage's outcome: a failing sandboxed stage fails with every path, host or
 * variable it was stopped at and the dvc.yaml grant that would allow it.
 *
 * checkStagesRunnable() is the preflight: called before any stage runs, it
 * validates every planned stage's `meta.sandbox`, runner and policy, and
 * fails when a requested sandbox cannot be enforced here (no bwrap, no user
 * namespaces), so nothing runs unconfined in place of a sandboxed stage.
 */
import { CairnError, ConfigError, UsageError } from "../errors.ts";
import { type Stage, stageAddress } from "../stage/types.ts";
import { type CairnConfig, loadCairnConfig } from "../config/cairn_config.ts";
import type { PluginSpec } from "../plugin/loader.ts";
import { PluginRegistry } from "../plugin/registry.ts";
import { openRunner } from "../plugin/runner.ts";
import { requireTrusted } from "../plugin/trust.ts";
import {
  type RunnerIo,
  runnerPolicies,
  type RunnerRequest,
  runnerRequires,
  runnerShortName,
} from "../plugin/runner_api.ts";
import { SandboxGrantError, SandboxUnavailableError } from "../sandbox/errors.ts";
import type { InputsReport } from "../sandbox/explain_inputs.ts";
import type { SandboxPolicy, SandboxSpec } from "../sandbox/grants.ts";
import { sandboxOptionsForStage, type StageSandboxOptions } from "../sandbox/stage_options.ts";
import type { Violation } from "../sandbox/violations.ts";
// the text alone: the sandbox backends (availability, Landlock, Deno's flags) load
// below only for a stage that needs them, not for every plain stage (issue 16)
import { formatViolations } from "../sandbox/violation_text.ts";
import { type OutputSink, StageCmdFailedError } from "./run_command.ts";
import { chosenRunner, stageMetaRunner } from "./runner_choice.ts";

/** Per-run choices (`repro --sandbox`, `--explain-inputs`) and where reports go. */
export interface StageRunOptions {
  /** `repro --sandbox[=on|hermetic]`: wins over stage meta and project config. */
  policy?: SandboxPolicy;
  /** `repro --runner NAME`: wins over stage meta and project config. */
  runner?: string;
  /** run commands traced; `onInputs` receives declared-vs-read reports. */
  explainInputs?: boolean;
  onInputs?: (address: string, report: InputsReport, info: CommandInfo) => void;
  /** things the sandbox stopped that did not fail the stage (a tool's cache write...). */
  onNotice?: (address: string, violations: Violation[], info: CommandInfo) => void;
  /**
   * extra environment of the commands (a queued experiment's DVC_EXP_NAME,
   * a stage's CUDA_VISIBLE_DEVICES): per run, where the process env is shared.
   */
  env?: Record<string, string>;
}

export interface CommandInfo {
  cmd: string;
  runner: string;
  policy: SandboxPolicy;
}

export interface RunStageCommandOptions extends StageRunOptions {
  /** null/undefined: the command's output goes to cairn's stdout/stderr. */
  sink?: OutputSink | null;
  signal?: AbortSignal;
  /** the stage's address for messages and DVC_STAGE (default: stageAddress). */
  address?: string;
}

export interface StageCommandResult {
  exitCode: number;
  violations: Violation[];
  /** exit 0 and nothing fatal stopped. */
  ok: boolean;
  /** the runner's short name (`shell`, `deno`, ...). */
  runner: string;
  policy: SandboxPolicy;
  inputs?: InputsReport;
  /** the error that fails the stage (undefined when ok). */
  error?: CairnError;
}

/** A sandboxed stage was stopped from doing something it did not declare. */
export class StageSandboxError extends CairnError {
  constructor(
    readonly cmd: string,
    readonly cmdExitCode: number,
    readonly violations: Violation[],
    readonly policy: SandboxPolicy,
    readonly runner: string,
  ) {
    const head = cmdExitCode !== 0
      ? `failed to run: ${cmd}, exited with ${cmdExitCode}`
      : `failed to run: ${cmd}`;
    super(
      `${head}\nthe sandbox (policy ${policy}, runner ${runner}) stopped it:\n${
        formatViolations(violations)
      }`,
      {
        hint: "declare it in dvc.yaml as shown, or grant it under the stage's " +
          "meta: {sandbox: {...}} (docs/sandbox.md); --sandbox=off runs without the sandbox",
      },
    );
  }
}

/**
 * What running a stage needs of the repository (a `Repo` is one): its root and
 * cache folder. The object also keys the per-repo settings and plugins read once.
 */
export interface StageRepo {
  readonly root: string;
  readonly cacheDir: string;
}

interface RunContext {
  config: CairnConfig;
  registry?: Promise<PluginRegistry>;
}

const contexts = new WeakMap<StageRepo, RunContext>();

function contextFor(repo: StageRepo): RunContext {
  let c = contexts.get(repo);
  if (!c) {
    c = { config: loadCairnConfig(repo.root) };
    contexts.set(repo, c);
  }
  return c;
}

/** Built-in and project plugins (`plugins:` in .dvc/cairn.yaml) of a repo. */
export function pluginRegistryFor(repo: StageRepo): Promise<PluginRegistry> {
  const c = contextFor(repo);
  if (!c.registry) {
    c.registry = c.config.plugins.length
      ? PluginRegistry.create({ paths: c.config.plugins, baseDir: repo.root })
      : Promise.resolve(new PluginRegistry());
  }
  return c.registry;
}

/** DVC `_enforce_cmd_list`. */
function commandLines(cmd: string | string[] | undefined): string[] {
  if (cmd === undefined) return [];
  if (Array.isArray(cmd)) return cmd;
  const lines = cmd.split(/\r\n|\r|\n/);
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

interface CommandPlan {
  sb: StageSandboxOptions;
  spec: PluginSpec;
  runner: string;
}

function runnerList(reg: PluginRegistry): string {
  return reg.list().filter((p) => p.manifest.kind === "runner")
    .map((p) => runnerShortName(p.manifest.name)).join(", ");
}

/** Which runner and policy a command of a stage gets (throws for a bad choice). */
async function planCommand(
  repo: StageRepo,
  stage: Stage,
  cmd: string,
  opts: StageRunOptions,
): Promise<CommandPlan> {
  const ctx = contextFor(repo);
  const sb = sandboxOptionsForStage(stage, {
    repoRoot: repo.root,
    runPolicy: opts.policy,
    projectPolicy: ctx.config.sandbox.policy,
  });
  const reg = await pluginRegistryFor(repo);
  const explicit = opts.runner ?? sb.grants.runner ??
    chosenRunner(stage, undefined, ctx.config.runner);
  let spec: PluginSpec | undefined;
  if (explicit) {
    spec = reg.runner(explicit);
    if (!spec) {
      const hint = `installed runners: ${
        runnerList(reg)
      } (cairn runners list); a project adds one under plugins: in .dvc/cairn.yaml`;
      // say where the name came from: the run's flag, the stage's meta or the project's file
      if (opts.runner !== undefined) {
        throw new UsageError(`argument --runner: unknown runner '${explicit}'`, hint);
      }
      if (!sb.grants.runner && stageMetaRunner(stage) === explicit) {
        throw new CairnError(`stage '${sb.stage}': meta.runner: unknown runner '${explicit}'`, {
          hint,
        });
      }
      if (!sb.grants.runner && explicit === ctx.config.runner) {
        throw new ConfigError(
          `'${ctx.config.file ?? ".dvc/cairn.yaml"}': unknown runner '${explicit}'`,
          { hint },
        );
      }
      throw new SandboxGrantError(
        sb.stage,
        `unknown runner '${explicit}'`,
        `installed runners: ${
          runnerList(reg)
        } (cairn runners list); a project adds one under plugins: in .dvc/cairn.yaml`,
      );
    }
  } else if (
    sb.policy !== "off" && (await import("../sandbox/deno_args.ts")).parseDenoCommand(cmd)
  ) {
    spec = reg.runner("deno");
  }
  spec ??= reg.runner("shell");
  if (!spec) throw new CairnError("no shell runner is installed");
  const runner = runnerShortName(spec.manifest.name);
  const policies = runnerPolicies(spec.manifest);
  if (!policies.includes(sb.policy)) {
    throw new SandboxUnavailableError(
      "runner",
      `stage '${sb.stage}': runner '${runner}' cannot enforce policy ${sb.policy} ` +
        `(it supports: ${policies.join(", ")})`,
      "choose another runner (meta: {sandbox: {runner: shell}}) or policy",
    );
  }
  return { sb, spec, runner };
}

/**
 * Preflight for the stages about to run: every `meta.sandbox` valid, every
 * chosen runner installed and able to enforce its policy, the programs it
 * needs present and the sandbox usable. Throws before anything has run.
 */
export async function checkStagesRunnable(
  repo: StageRepo,
  stages: readonly Stage[],
  opts: StageRunOptions = {},
): Promise<void> {
  const needs = new Map<string, { stage: string; runner: string; policy: SandboxPolicy }>();
  const confined: { stage: string; grants: SandboxSpec }[] = [];
  for (const stage of stages) {
    if (stage.frozen) continue;
    for (const cmd of commandLines(stage.cmd)) {
      const p = await planCommand(repo, stage, cmd, opts);
      // An untrusted project runner fails the run before any stage starts.
      if (!p.spec.builtin) requireTrusted(p.spec);
      if (
        p.sb.grants.runner && (p.spec.manifest as { runner?: { matchesCommands?: boolean } })
          .runner?.matchesCommands
      ) {
        const r = await openRunner(p.spec);
        if (!(await r.accepts(cmd))) throw notHandled(p, cmd);
      }
      if (
        !p.spec.builtin && p.sb.policy !== "off" && (p.spec.manifest.permissions.run ?? []).length
      ) {
        throw new SandboxGrantError(
          p.sb.stage,
          `runner '${p.runner}' starts programs (its manifest asks for 'run'), which Deno's ` +
            `permissions cannot confine, so it cannot run under policy ${p.sb.policy}`,
          "use the shell runner (bwrap) for this stage, or policy off",
        );
      }
      const requires = runnerRequires(p.spec.manifest, p.sb.policy);
      if (requires.includes("bwrap")) confined.push({ stage: p.sb.stage, grants: p.sb.grants });
      for (const prog of requires) {
        if (!needs.has(prog)) {
          needs.set(prog, { stage: p.sb.stage, runner: p.runner, policy: p.sb.policy });
        }
      }
      if (opts.explainInputs && p.spec.builtin && !needs.has("strace")) {
        needs.set("strace", { stage: p.sb.stage, runner: p.runner, policy: p.sb.policy });
      }
    }
  }
  if (needs.size === 0) return;
  const { requireSandbox, which } = await import("../sandbox/availability.ts");
  for (const [prog, who] of needs) {
    if (prog === "bwrap") {
      // bwrap or, when it does not work here, Landlock: refuse now what Landlock cannot honour.
      const a = await requireSandbox({ stage: who.stage });
      const { landlockRefusal } = await import("../sandbox/landlock.ts");
      for (const c of a.backend === "landlock" ? confined : []) {
        const no = landlockRefusal(c.grants, { trace: opts.explainInputs });
        if (no) throw new SandboxGrantError(c.stage, no.why, no.hint);
      }
      continue;
    }
    if (prog === "deno" && /(^|\/)deno$/.test(Deno.execPath())) continue;
    if (which(prog)) continue;
    throw new SandboxUnavailableError(
      prog,
      `stage '${who.stage}' needs '${prog}' (runner ${who.runner}, policy ${who.policy}` +
        `${
          prog === "strace" && opts.explainInputs ? ", --explain-inputs" : ""
        }), which is not installed`,
      prog === "strace"
        ? "install it: apt-get install strace"
        : prog === "deno"
        ? "install Deno (https://deno.land)"
        : `install ${prog}`,
    );
  }
}

function notHandled(p: CommandPlan, cmd: string): SandboxGrantError {
  const what = (p.spec.manifest as { runner?: { commands?: string } }).runner?.commands;
  return new SandboxGrantError(
    p.sb.stage,
    `runner '${p.runner}' does not handle the command '${cmd}'`,
    what ? `it runs: ${what}` : undefined,
  );
}

function stageError(
  cmd: string,
  r: StageCommandResult,
  signal?: string,
  failure?: string,
): CairnError {
  if (failure) return new CairnError(`failed to run: ${cmd}: ${failure}`);
  const fatal = r.violations.filter((v) => v.fatal);
  if (fatal.length || (r.exitCode !== 0 && r.violations.length)) {
    return new StageSandboxError(cmd, r.exitCode, r.violations, r.policy, r.runner);
  }
  return new StageCmdFailedError(cmd, r.exitCode, signal ?? null);
}

/**
 * Run one command line of `stage` through its runner. Never throws for the
 * command's own failure: `result.error` is what fails the stage. Throws for
 * bad grants (SandboxGrantError), a sandbox that cannot be enforced
 * (SandboxUnavailableError) and interrupts (InterruptedError).
 */
export async function runStageCommand(
  repo: StageRepo,
  stage: Stage,
  cmd: string,
  opts: RunStageCommandOptions = {},
): Promise<StageCommandResult> {
  const p = await planCommand(repo, stage, cmd, opts);
  const runner = await openRunner(p.spec);
  if (p.sb.grants.runner && !(await runner.accepts(cmd))) throw notHandled(p, cmd);
  const address = opts.address ?? stageAddress(stage);
  const env: Record<string, string> = {
    ...Deno.env.toObject(),
    ...opts.env,
    DVC_ROOT: repo.root,
    DVC_STAGE: address,
  };
  const req: RunnerRequest = {
    cmd,
    stage: address,
    cwd: p.sb.cwd,
    repoRoot: repo.root,
    cacheDir: repo.cacheDir,
    deps: p.sb.deps,
    outs: p.sb.outs,
    policy: p.sb.policy,
    grants: p.sb.grants,
    env,
    explainInputs: opts.explainInputs,
    meta: stage.meta,
    projectConfig: (contextFor(repo).config as unknown as Record<string, unknown>)[p.runner] as
      | Record<string, unknown>
      | undefined,
  };
  const sink = opts.sink;
  const io: RunnerIo = sink
    ? {
      signal: opts.signal,
      onStdout: (c) => sink("stdout", c),
      onStderr: (c) => sink("stderr", c),
    }
    : { signal: opts.signal };
  const r = await runner.run(req, io);
  if (r.inputs) {
    // params files are declared under `params:`, not `deps:`: the deps fix leaves them out.
    const paramFiles = new Set(stage.params.map((x) => x.file));
    r.inputs = {
      ...r.inputs,
      suggestedDeps: r.inputs.suggestedDeps.filter((d) => !paramFiles.has(d)),
      declaredUnread: r.inputs.declaredUnread.filter((d) => !paramFiles.has(d)),
    };
  }
  const info: CommandInfo = { cmd, runner: p.runner, policy: p.sb.policy };
  const violations = r.violations ?? [];
  const result: StageCommandResult = {
    exitCode: r.exitCode,
    violations,
    ok: r.exitCode === 0 && !r.signal && !r.failure && !violations.some((v) => v.fatal),
    runner: p.runner,
    policy: p.sb.policy,
    inputs: r.inputs,
  };
  if (r.inputs) opts.onInputs?.(address, r.inputs, info);
  if (!result.ok) result.error = stageError(cmd, result, r.signal, r.failure);
  else if (violations.length) opts.onNotice?.(address, violations, info);
  return result;
}
