/** `exp apply`, `exp branch`, `exp remove`, `exp rename` (dvc-spec §14.4). */
import { join } from "node:path";
import { CairnError } from "../../errors.ts";
import type { Repo } from "../repo.ts";
import { checkout } from "../checkout.ts";
import { invalidateIndex } from "../collect.ts";
import {
  checkExpName,
  ExperimentExistsError,
  expExists,
  type ExpRef,
  expRefName,
  gitEnv,
  headSha,
  listExpRefs,
  resolveExp,
  scmRootOf,
} from "./refs.ts";
import { runToolSync } from "../../proc/spawn.ts";

/**
 * Write the experiment commit's files into the workspace (HEAD and the
 * index unchanged), then check out its DVC outputs (`checkout --force`).
 */
export async function applyExperiment(repo: Repo, name: string): Promise<ExpRef> {
  const exp = resolveExp(repo, name);
  const cwd = scmRootOf(repo);
  const gitDir = gitEnv(["rev-parse", "--absolute-git-dir"], cwd).trim();
  const indexFile = join(gitDir, `cairn-exp-apply-${crypto.randomUUID()}`);
  const env = { GIT_INDEX_FILE: indexFile };
  try {
    gitEnv(["read-tree", exp.sha], cwd, env);
    gitEnv(["checkout-index", "-a", "-f"], cwd, env);
  } finally {
    try {
      Deno.removeSync(indexFile);
    } catch { /* best effort: never created, or cleanup must not mask the work's error */ }
  }
  invalidateIndex(repo);
  await checkout(repo, [], { force: true });
  return exp;
}

/** A git branch `branch` (default `<name>-branch`) at the experiment commit. */
export function branchExperiment(repo: Repo, name: string, branch?: string): {
  exp: ExpRef;
  branch: string;
} {
  const exp = resolveExp(repo, name);
  const b = branch ?? `${exp.name}-branch`;
  const cwd = scmRootOf(repo);
  const exists = runToolSync("git", ["rev-parse", "--verify", "-q", `refs/heads/${b}`], {
    cwd,
    stdout: "null",
    stderr: "null",
  }).code === 0;
  if (exists) throw new CairnError(`Branch '${b}' already exists.`);
  gitEnv(["branch", "--", b, exp.sha], cwd);
  return { exp, branch: b };
}

export interface RemoveOptions {
  /** `-A`: every experiment of every baseline. */
  allCommits?: boolean;
  /** `--rev`: every experiment of these baselines. */
  revs?: string[];
}

/** Delete experiment refs (their data stays in the cache until `gc`). Returns the removed. */
export function removeExperiments(
  repo: Repo,
  names: string[],
  opts: RemoveOptions = {},
): ExpRef[] {
  const cwd = scmRootOf(repo);
  const picked = new Map<string, ExpRef>();
  if (opts.allCommits) { for (const e of listExpRefs(repo)) picked.set(e.ref, e); }
  for (const rev of opts.revs ?? []) {
    const base = rev === "HEAD" ? headSha(repo) : gitEnv(["rev-parse", rev], cwd).trim();
    for (const e of listExpRefs(repo)) if (e.baseline === base) picked.set(e.ref, e);
  }
  // resolve all names first: an unknown one removes nothing
  for (const n of names) {
    const e = resolveExp(repo, n);
    picked.set(e.ref, e);
  }
  for (const e of picked.values()) gitEnv(["update-ref", "-d", e.ref], cwd);
  return [...picked.values()];
}

/** `exp rename OLD NEW`: the ref moves to the new name (same baseline, same commit). */
export function renameExperiment(
  repo: Repo,
  name: string,
  newName: string,
  opts: { force?: boolean } = {},
): ExpRef {
  const exp = resolveExp(repo, name);
  const cwd = scmRootOf(repo);
  checkExpName(newName, cwd);
  if (!opts.force && expExists(repo, exp.baseline, newName)) {
    throw new ExperimentExistsError(newName);
  }
  const ref = expRefName(exp.baseline, newName);
  gitEnv(["update-ref", ref, exp.sha], cwd);
  gitEnv(["update-ref", "-d", exp.ref, exp.sha], cwd);
  return { ...exp, ref, name: newName };
}
