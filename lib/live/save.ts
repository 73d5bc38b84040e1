/**
 * What `Live.end()` does with git: inside `exp run`, add the logger's new
 * files so the experiment commit carries them (DVCLive's
 * `ensure_dir_is_tracked` + `scm.add(dvc.yaml)`); outside a pipeline, save
 * the workspace as an experiment (`exp save`, untracked Live files included).
 */
import { relative } from "node:path";
import { findRoot, openRepo } from "../repo/repo.ts";
import { experimentFiles, lockEntries } from "../repo/exp/run.ts";
import { collectStages } from "../repo/collect.ts";
import {
  checkExpName,
  commitExperiment,
  ExperimentExistsError,
  expExists,
  expHash,
  headSha,
  randomExpName,
  scmRootOf,
} from "../repo/exp/refs.ts";
import { CairnError } from "../errors.ts";

function git(args: string[], cwd: string): string {
  const out = new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" })
    .outputSync();
  const dec = new TextDecoder();
  if (out.code !== 0) {
    throw new CairnError(`git ${args[0]} failed: ${dec.decode(out.stderr).trim()}`);
  }
  return dec.decode(out.stdout);
}

/** `git add` the untracked, not ignored files under `dir`, and `dvcFile`. */
export function trackForExperiment(dir: string, dvcFile: string | undefined): void {
  const top = git(["rev-parse", "--show-toplevel"], dir).trim();
  const untracked = git(["ls-files", "-z", "--others", "--exclude-standard", "--", dir], top)
    .split("\0").filter(Boolean);
  const paths = [...untracked];
  if (dvcFile) {
    const rel = relative(top, dvcFile);
    if (!rel.startsWith("..")) paths.push(rel);
  }
  if (paths.length) git(["add", "--", ...paths], top);
}

/** Why the workspace at `cwd` cannot be saved as an experiment, or undefined if it can. */
export function cannotSave(cwd: string): string | undefined {
  const root = findRoot(cwd);
  if (!root) return "not inside a DVC repository";
  let repo;
  try {
    repo = openRepo(cwd, { cwd });
  } catch (err) {
    if (err instanceof CairnError) return err.message; // no git and core.no_scm unset
    throw err;
  }
  if (!repo.scmRoot) return "experiments need a git repository (git init, git commit)";
  const head = new Deno.Command("git", {
    args: ["rev-parse", "--verify", "-q", "HEAD^{commit}"],
    cwd: repo.scmRoot,
    stdout: "null",
    stderr: "null",
  }).outputSync();
  if (!head.success) return "experiments need a commit to start from (git commit)";
  return undefined;
}

/** Options of saveLiveExperiment. */
export interface SaveLiveOptions {
  name?: string;
  message?: string;
  /** absolute paths (files or folders) to include even if git does not track them. */
  include: string[];
}

/** `exp save` of the workspace at `cwd`, carrying the Live files. */
export function saveLiveExperiment(
  cwd: string,
  opts: SaveLiveOptions,
): { experiment: string; sha: string } {
  const repo = openRepo(cwd, { cwd });
  const baseline = headSha(repo);
  const scm = scmRootOf(repo);
  let name = opts.name;
  if (name === undefined) name = randomExpName(repo, baseline);
  else {
    checkExpName(name, scm);
    if (expExists(repo, baseline, name)) throw new ExperimentExistsError(name);
  }
  const hash = expHash(lockEntries(repo, collectStages(repo, { fresh: true }).stages));
  const extra = experimentFiles(repo, [], opts.include);
  const sha = commitExperiment(repo, {
    name,
    baseline,
    message: opts.message ?? `dvc: commit experiment ${hash}`,
    extraPaths: extra,
  });
  return { experiment: name, sha };
}
