/**
 * Resolving command-line targets to stages and outputs, as DVC does:
 * `name`, `file:name`, `dir/dvc.yaml`, `data.dvc`, `train@cnn-f1`, a
 * foreach group `train`, an output path, or a directory with -R.
 */
import { join, posix, relative, resolve } from "node:path";
import { CairnError, StageNotFoundError } from "../errors.ts";
import type { Stage } from "../stage/types.ts";
import { allOutputs, collectStages, isInside, type OutputOf } from "./collect.ts";
import { type Repo, repoRelative } from "./repo.ts";

export interface TargetOptions {
  /** targets are directories: every stage file below them. */
  recursive?: boolean;
  /** include upstream stages of the targets. */
  withDeps?: boolean;
}

function toRepoRel(repo: Repo, p: string): string {
  return repoRelative(repo, resolve(repo.cwd, p));
}

/** Stages named by one target string. */
export function resolveTarget(repo: Repo, target: string, opts: TargetOptions = {}): Stage[] {
  const { stages } = collectStages(repo);
  const t = target.replace(/\/+$/, "");
  if (opts.recursive) {
    const dir = toRepoRel(repo, t);
    return stages.filter((s) => isInside(s.file, dir));
  }
  // file:name (file relative to cwd)
  const colon = t.lastIndexOf(":");
  if (colon > 0 && !t.slice(colon).includes("/")) {
    const file = toRepoRel(repo, t.slice(0, colon));
    const name = t.slice(colon + 1);
    const found = stages.filter((s) =>
      s.kind === "pipeline" && s.file === file && (s.name === name || s.group === name)
    );
    if (!found.length) throw new StageNotFoundError(target);
    return found;
  }
  const abs = resolve(repo.cwd, t);
  let rel: string | undefined;
  try {
    rel = repoRelative(repo, abs);
  } catch {
    rel = undefined;
  }
  if (rel !== undefined) {
    if (t.endsWith(".dvc")) {
      const found = stages.filter((s) => s.kind === "dvcfile" && s.file === rel);
      if (found.length) return found;
    }
    if (posix.basename(rel) === "dvc.yaml") {
      const found = stages.filter((s) => s.kind === "pipeline" && s.file === rel);
      if (found.length || exists(abs)) return found;
    }
  }
  // stage name in the dvc.yaml of the current directory (DVC's default file)
  const cwdFile = posix.join(relative(repo.root, repo.cwd).split("\\").join("/"), "dvc.yaml")
    .replace(/^\.\//, "");
  const named = stages.filter((s) =>
    s.kind === "pipeline" && s.file === cwdFile && (s.name === t || s.group === t)
  );
  if (named.length) return named;
  // an output path
  if (rel !== undefined) {
    const owners = allOutputs(collectStages(repo)).filter((o) =>
      o.rel === rel || isInside(rel!, o.rel)
    );
    if (owners.length) return [...new Set(owners.map((o) => o.stage))];
    if (exists(join(repo.root, rel + ".dvc"))) {
      const found = stages.filter((s) => s.file === rel + ".dvc");
      if (found.length) return found;
    }
  }
  throw new StageNotFoundError(target);
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Stages for a list of targets (all stages when empty), de-duplicated, in repo order. */
export function resolveStages(repo: Repo, targets: string[], opts: TargetOptions = {}): Stage[] {
  const { stages } = collectStages(repo);
  if (!targets.length) return stages;
  const picked = new Set<Stage>();
  for (const t of targets) for (const s of resolveTarget(repo, t, opts)) picked.add(s);
  if (opts.withDeps) { for (const s of upstreamOf(stages, [...picked])) picked.add(s); }
  return stages.filter((s) => picked.has(s));
}

/** Every stage the given stages depend on, transitively (edges by path). */
export function upstreamOf(stages: Stage[], from: Stage[]): Stage[] {
  const outs = stages.flatMap((s) =>
    s.outs.map((o) => ({ s, rel: posix.normalize(posix.join(s.wdir || ".", o.path)) }))
  );
  const seen = new Set<Stage>(from);
  const queue = [...from];
  while (queue.length) {
    const st = queue.pop()!;
    for (const d of st.deps) {
      const rel = posix.normalize(posix.join(st.wdir || ".", d.path));
      for (const o of outs) {
        if (!seen.has(o.s) && (isInside(rel, o.rel) || isInside(o.rel, rel))) {
          seen.add(o.s);
          queue.push(o.s);
        }
      }
    }
  }
  return [...seen];
}

/**
 * Outputs named by targets: a whole stage's outputs, or just the output a
 * path target names.
 */
export function selectOutputs(repo: Repo, targets: string[], opts: TargetOptions = {}): OutputOf[] {
  const all = allOutputs(collectStages(repo));
  if (!targets.length) return all;
  const picked = new Set<OutputOf>();
  for (const t of targets) {
    let rel: string | undefined;
    try {
      rel = toRepoRel(repo, t.replace(/\/+$/, ""));
    } catch {
      rel = undefined;
    }
    const direct = rel !== undefined && !opts.recursive && !t.endsWith(".dvc") &&
        !t.endsWith("dvc.yaml")
      ? all.filter((o) => o.rel === rel)
      : [];
    if (direct.length) {
      direct.forEach((o) => picked.add(o));
      continue;
    }
    const stages = new Set(resolveTarget(repo, t, opts));
    if (opts.withDeps) {
      for (const s of upstreamOf(collectStages(repo).stages, [...stages])) stages.add(s);
    }
    for (const o of all) if (stages.has(o.stage)) picked.add(o);
  }
  return all.filter((o) => picked.has(o));
}

export function ensureTargetsExist(targets: string[]): void {
  if (targets.some((t) => t.trim() === "")) throw new CairnError("empty target");
}
