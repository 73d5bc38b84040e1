/**
 * From the shared Stage model to runSandboxed()'s options: the one place
 * that decides which policy applies and what a stage declares, so the
 * executor, `repro --explain-inputs` and tests agree.
 */
import type { Stage } from "../stage/types.ts";
import { stageAddress } from "../stage/types.ts";
import type { OutDecl } from "./bwrap.ts";
import { parseSandboxMeta, type SandboxPolicy, type SandboxSpec } from "./grants.ts";

export interface StageSandboxOptions {
  policy: SandboxPolicy;
  grants: SandboxSpec;
  /** absolute stage working dir. */
  cwd: string;
  /** deps and params files, relative to cwd. */
  deps: string[];
  /** outs, metrics and plots (persist kept), relative to cwd. */
  outs: OutDecl[];
  /** `train`, `sub/dvc.yaml:train`: for messages. */
  stage: string;
}

export interface StageSandboxContext {
  repoRoot: string;
  /** `repro --sandbox[=on|hermetic]`: wins over everything. */
  runPolicy?: SandboxPolicy;
  /** the project's default (cairn's own config file). */
  projectPolicy?: SandboxPolicy;
}

/**
 * Policy precedence: the run's (`--sandbox`), then the stage's
 * (`meta.sandbox.policy`), then the project's, then `off` (DVC's behaviour).
 * Throws SandboxGrantError naming the stage for a malformed `meta.sandbox`.
 */
export function sandboxOptionsForStage(
  stage: Stage,
  ctx: StageSandboxContext,
): StageSandboxOptions {
  const address = stageAddress(stage);
  const grants = parseSandboxMeta(stage.meta, { stage: address });
  const policy = ctx.runPolicy ?? grants.policy ?? ctx.projectPolicy ?? "off";
  const root = ctx.repoRoot.replace(/\/+$/, "");
  const cwd = stage.wdir ? `${root}/${stage.wdir}` : root;
  const deps = [
    ...stage.deps.filter((d) => !d.repo).map((d) => d.path),
    ...stage.params.map((p) => p.file),
  ];
  return {
    policy,
    grants,
    cwd,
    deps: [...new Set(deps)],
    outs: stage.outs.map((o) => ({ path: o.path, persist: o.persist })),
    stage: address,
  };
}
