/**
 * `exp push|pull|list <git remote>` (DVC's experiments/{push,pull,ls}.py):
 * experiment refs move with refspec `<ref>:<ref>` (git push/fetch, so any
 * git remote or URL works), their DVC-cached data through the DVC remote
 * (lib/repo/_sync.ts) unless `--no-cache`.
 */
import { CairnError, ScmError, UnknownRevisionError } from "../../errors.ts";
import type { Repo } from "../repo.ts";
import {
  type ExpRef,
  EXPS_NAMESPACE,
  gitEnv,
  listExpRefs,
  resolveExp,
  scmRootOf,
  UnknownExperimentError,
} from "./refs.ts";
import { runToolSync } from "../../proc/spawn.ts";

const dec = new TextDecoder();

export interface ExpSelection {
  /** experiment names (or refs); none = the experiments of `revs`. */
  names?: string[];
  /** `-A`: every experiment. */
  allCommits?: boolean;
  /** `--rev` (default HEAD) with `-n` commits of each. */
  revs?: string[];
  num?: number;
}

/** Baseline shas of `revs` and `num - 1` first-parent ancestors each (DVC `iter_revs`). */
function baselineShas(repo: Repo, revs: string[], num: number): Set<string> {
  const cwd = scmRootOf(repo);
  const out = new Set<string>();
  for (const rev of revs) {
    for (let n = 0; n < num; n++) {
      const r = runToolSync("git", [
        "rev-parse",
        "--verify",
        "-q",
        `${rev}${n ? `~${n}` : ""}^{commit}`,
      ], {
        cwd,
        stdout: "piped",
        stderr: "null",
      });
      if (r.code !== 0) {
        if (n === 0) throw new UnknownRevisionError(rev);
        break;
      }
      out.add(dec.decode(r.stdout).trim());
    }
  }
  return out;
}

/** The local experiment refs a selection names. Unknown names fail, listing them. */
export function selectLocalExps(repo: Repo, sel: ExpSelection): ExpRef[] {
  const all = listExpRefs(repo);
  const picked = new Map<string, ExpRef>();
  if (sel.allCommits) { for (const e of all) picked.set(e.ref, e); }
  if (sel.names?.length) {
    const unknown: string[] = [];
    for (const n of sel.names) {
      try {
        const e = resolveExp(repo, n);
        picked.set(e.ref, e);
      } catch (err) {
        if (!(err instanceof UnknownExperimentError)) throw err;
        unknown.push(n);
      }
    }
    if (unknown.length) {
      throw new CairnError(`Experiment '${unknown.join("', '")}' does not exist.`);
    }
  } else if (!sel.allCommits) {
    const bases = baselineShas(repo, sel.revs?.length ? sel.revs : ["HEAD"], sel.num ?? 1);
    for (const e of all) if (bases.has(e.baseline)) picked.set(e.ref, e);
  }
  return [...picked.values()];
}

export interface PushExpResult {
  success: string[];
  up_to_date: string[];
  diverged: string[];
  /** the exp commits pushed or already there (their data goes to the DVC remote). */
  commits: string[];
}

/** Push experiment refs to a git remote; a diverged ref is reported, not forced (unless `force`). */
export function pushExperimentRefs(
  repo: Repo,
  gitRemote: string,
  exps: ExpRef[],
  opts: { force?: boolean } = {},
): PushExpResult {
  const res: PushExpResult = { success: [], up_to_date: [], diverged: [], commits: [] };
  if (!exps.length) return res;
  const out = runToolSync("git", [
    "push",
    "--porcelain",
    ...(opts.force ? ["--force"] : []),
    gitRemote,
    ...exps.map((e) => `${e.ref}:${e.ref}`),
  ], {
    cwd: scmRootOf(repo),
    stdout: "piped",
    stderr: "piped",
    env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
  });
  const flags = new Map<string, string>();
  for (const line of dec.decode(out.stdout).split("\n")) {
    const m = /^(.)\t([^:]+):(\S+)\t/.exec(line);
    if (m) flags.set(m[3], m[1]);
  }
  if (!flags.size && out.code !== 0) {
    throw new ScmError(
      `failed to push experiments to '${gitRemote}'`,
      dec.decode(out.stderr).trim(),
    );
  }
  for (const e of exps) {
    const f = flags.get(e.ref);
    if (f === "=") res.up_to_date.push(e.name);
    else if (f === "!") res.diverged.push(e.name);
    else if (f !== undefined) res.success.push(e.name);
    if (f !== undefined && f !== "!") res.commits.push(e.sha);
  }
  return res;
}

export interface RemoteExpRef {
  ref: string;
  name: string;
  baseline: string;
  sha: string;
}

/** Experiment refs on a git remote (`git ls-remote`). */
export function listRemoteExpRefs(repo: Repo, gitRemote: string): RemoteExpRef[] {
  const out = gitEnv(["ls-remote", gitRemote, `${EXPS_NAMESPACE}/*`], scmRootOf(repo));
  const refs: RemoteExpRef[] = [];
  for (const line of out.split("\n").filter(Boolean)) {
    const [sha, ref] = line.split("\t");
    const parts = ref.split("/");
    if (parts.length !== 5 || !/^[0-9a-f]{2}$/.test(parts[2])) continue;
    refs.push({ ref, name: parts[4], baseline: parts[2] + parts[3], sha });
  }
  return refs;
}

/** The remote experiments a selection names (names match the last ref component). */
export function selectRemoteExps(
  repo: Repo,
  gitRemote: string,
  sel: ExpSelection,
): RemoteExpRef[] {
  const all = listRemoteExpRefs(repo, gitRemote);
  if (sel.allCommits) return all;
  if (sel.names?.length) {
    const picked: RemoteExpRef[] = [];
    const unknown: string[] = [];
    for (const n of sel.names) {
      let hits = all.filter((e) => e.name === n || e.ref === n);
      // A sha prefix only when no name matched, and long enough to mean one (as resolveExp):
      // "e1" must not also pick an experiment whose commit happens to start with e1.
      if (!hits.length && /^[0-9a-f]{4,40}$/.test(n)) hits = all.filter((e) => e.sha.startsWith(n));
      if (!hits.length) unknown.push(n);
      picked.push(...hits);
    }
    if (unknown.length) {
      throw new CairnError(`Experiment '${unknown.join("', '")}' does not exist.`);
    }
    return picked;
  }
  const bases = baselineShas(repo, sel.revs?.length ? sel.revs : ["HEAD"], sel.num ?? 1);
  return all.filter((e) => bases.has(e.baseline));
}

/** Fetch experiment refs from a git remote; returns the names fetched. */
export function fetchExperimentRefs(
  repo: Repo,
  gitRemote: string,
  exps: RemoteExpRef[],
  opts: { force?: boolean } = {},
): string[] {
  if (!exps.length) return [];
  const cwd = scmRootOf(repo);
  const local = new Map(listExpRefs(repo).map((e) => [e.ref, e.sha]));
  const todo = exps.filter((e) => local.get(e.ref) !== e.sha);
  if (!todo.length) return [];
  gitEnv([
    "fetch",
    "--no-tags",
    "--no-write-fetch-head",
    gitRemote,
    ...todo.map((e) => `${opts.force ? "+" : ""}${e.ref}:${e.ref}`),
  ], cwd);
  return todo.map((e) => e.name);
}

/** `exp remove -g REMOTE`: delete experiment refs on a git remote; returns the names removed. */
export function removeRemoteExperiments(
  repo: Repo,
  gitRemote: string,
  exps: RemoteExpRef[],
): string[] {
  if (!exps.length) return [];
  gitEnv(["push", gitRemote, ...exps.map((e) => `:${e.ref}`)], scmRootOf(repo));
  return exps.map((e) => e.name);
}
