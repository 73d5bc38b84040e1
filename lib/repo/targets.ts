/**
 * Command-line targets of the data verbs (checkout, commit, push...) to
 * stages and outputs. Stage addressing is `collectTarget` (lib/repo/collect.ts);
 * this adds what those verbs need on top: upstream stages (`--with-deps`)
 * and output-path targets that select one output of a stage.
 */
import { resolve } from "node:path";
import { buildGraph, reachable } from "../pipeline/graph.ts";
import type { Stage } from "../stage/types.ts";
import { allOutputs, collectStages, collectTarget, type OutputOf } from "./collect.ts";
import { type Repo, repoRelative } from "./repo.ts";
import { CairnError } from "../errors.ts";

export interface TargetOptions {
  /** targets are directories: every stage file below them. */
  recursive?: boolean;
  /** include upstream stages of the targets. */
  withDeps?: boolean;
  glob?: boolean;
}

/** Every stage the given stages depend on, transitively, plus themselves. */
export function withUpstream(stages: readonly Stage[], from: readonly Stage[]): Set<Stage> {
  const graph = buildGraph(stages, { unchecked: true });
  const start = from.map((s) => graph.indexOf.get(s)!).filter((i) => i !== undefined);
  const picked = new Set<Stage>(from);
  for (const i of reachable(graph.upstream, start)) picked.add(graph.stages[i]);
  return picked;
}

/** Stages for a list of targets (all stages when empty), in collection order. */
export function resolveStages(repo: Repo, targets: string[], opts: TargetOptions = {}): Stage[] {
  const { stages } = collectStages(repo);
  if (!targets.length) return stages;
  let picked = new Set<Stage>();
  for (const t of targets) for (const s of collectTarget(repo, t, opts)) picked.add(s);
  if (opts.withDeps) picked = withUpstream(stages, [...picked]);
  return stages.filter((s) => picked.has(s));
}

/**
 * Outputs named by targets: every output of the stages a target names, or
 * just the output whose path the target is.
 */
export function selectOutputs(repo: Repo, targets: string[], opts: TargetOptions = {}): OutputOf[] {
  const all = allOutputs(collectStages(repo));
  if (!targets.length) return all;
  const picked = new Set<OutputOf>();
  for (const t of targets) {
    let rel: string | undefined;
    try {
      rel = repoRelative(repo, resolve(repo.cwd, t.replace(/\/+$/, "")));
    } catch (err) {
      if (!(err instanceof CairnError)) throw err; // outside the repository: not an output path
    }
    const direct = rel !== undefined && !opts.recursive && !opts.withDeps
      ? all.filter((o) => o.rel === rel)
      : [];
    if (direct.length) {
      direct.forEach((o) => picked.add(o));
      continue;
    }
    const stages = resolveStages(repo, [t], opts);
    for (const o of all) if (stages.includes(o.stage)) picked.add(o);
  }
  return all.filter((o) => picked.has(o));
}
