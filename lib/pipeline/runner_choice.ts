/**
 * Which runner a stage asked for, without loading any runner code: the
 * run's (`repro --runner`), then the stage's (`meta.sandbox.runner` or
 * `meta.runner`), then the project's (`runner:` in .dvc/cairn.yaml).
 * undefined: the default (shell, or deno for a sandboxed Deno script).
 */
import type { Stage } from "../stage/types.ts";

/** The runner name asked for, if any (see the module comment). */
export function chosenRunner(
  stage: Stage,
  runRunner: string | undefined,
  projectRunner: string | undefined,
): string | undefined {
  const meta = stage.meta as { runner?: unknown; sandbox?: { runner?: unknown } } | undefined;
  const m = meta && typeof meta === "object" ? meta : undefined;
  const sb = m?.sandbox && typeof m.sandbox === "object" && typeof m.sandbox.runner === "string"
    ? m.sandbox.runner
    : undefined;
  return runRunner ?? sb ?? stageMetaRunner(stage) ?? projectRunner;
}

/** `meta.runner` of a stage, if it names one. */
export function stageMetaRunner(stage: Stage): string | undefined {
  const meta = stage.meta as { runner?: unknown } | undefined;
  return meta && typeof meta === "object" && typeof meta.runner === "string"
    ? meta.runner
    : undefined;
}

/**
 * Runners whose stages a cluster scheduler places (their `meta.resources` go
 * to the scheduler, not to this machine's resource slots).
 */
export function isBatchRunner(name: string | undefined): boolean {
  return name === "slurm" || name === "runner_slurm";
}
