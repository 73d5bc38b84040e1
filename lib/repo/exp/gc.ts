/**
 * `exp gc` (DVC 2's command; DVC 3 dropped it, its VS Code extension and
 * users still call it): remove every experiment whose baseline is not among
 * the kept commits (`--workspace` = HEAD, `-a` branch tips, `-T` tags, `-A`
 * every commit, `--date` commits since a day), and the queue unless
 * `--queued`. Data stays in the cache until `cairn gc`.
 * `exp clean`: temporary queue state left behind (stale worktrees, dead
 * runs' records).
 */
import { CairnError, UsageError } from "../../errors.ts";
import type { Repo } from "../repo.ts";
import { type ExpRef, gitEnv, headShaIfAny, listExpRefs, scmRootOf } from "./refs.ts";
import { removeFromQueue } from "./queue.ts";

export interface ExpGcOptions {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  /** keep experiments of commits made on or after this day (YYYY-MM-DD). */
  date?: string;
  /** keep queued experiments. */
  queued?: boolean;
}

/** The commits whose experiments survive. */
function keptBaselines(repo: Repo, opts: ExpGcOptions): Set<string> {
  const cwd = scmRootOf(repo);
  const lines = (args: string[]) => gitEnv(args, cwd).split("\n").filter(Boolean);
  const kept = new Set<string>();
  if (opts.workspace) {
    const head = headShaIfAny(repo);
    if (head) kept.add(head);
  }
  if (opts.allCommits) {
    for (const l of lines(["rev-list", "--exclude=refs/exps/*", "--all"])) kept.add(l);
  }
  if (opts.allBranches) {
    for (const l of lines(["for-each-ref", "--format=%(objectname)", "refs/heads"])) kept.add(l);
  }
  if (opts.allTags) {
    for (const l of lines(["for-each-ref", "--format=%(*objectname) %(objectname)", "refs/tags"])) {
      kept.add(l.split(" ").find(Boolean)!);
    }
  }
  if (opts.date) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.date)) {
      throw new CairnError(`invalid date '${opts.date}': expected YYYY-MM-DD`);
    }
    for (
      const l of lines(["rev-list", "--exclude=refs/exps/*", "--all", `--since=${opts.date} 00:00`])
    ) kept.add(l);
  }
  return kept;
}

/** The experiments `exp gc` would remove (nothing changes). */
export function expGcCandidates(repo: Repo, opts: ExpGcOptions): ExpRef[] {
  if (!opts.workspace && !opts.allBranches && !opts.allTags && !opts.allCommits && !opts.date) {
    throw new UsageError(
      "Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` `--all-experiments`, " +
        "`--all-commits` or `--date` needs to be set.",
    );
  }
  const kept = keptBaselines(repo, opts);
  return listExpRefs(repo).filter((e) => !kept.has(e.baseline));
}

/** Remove them (and the queue unless `queued`). Returns how many experiments went. */
export async function expGc(repo: Repo, opts: ExpGcOptions): Promise<number> {
  const doomed = expGcCandidates(repo, opts);
  const cwd = scmRootOf(repo);
  for (const e of doomed) gitEnv(["update-ref", "-d", e.ref, e.sha], cwd);
  let removed = doomed.length;
  if (!opts.queued) removed += (await removeFromQueue(repo, [], { queued: true })).length;
  return removed;
}
