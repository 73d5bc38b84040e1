/** `gc -c`: remove the remote objects the selected revisions do not use. */
import { CairnError } from "../errors.ts";
import { type FailedObject, gcRemote, type TransferObject } from "../cache/transfer.ts";
import { type RevisionSelection, usedObjects } from "./used_objects.ts";
import { openRepoRemote } from "./remote.ts";
import type { Repo } from "./repo.ts";

export interface GcCloudResult {
  remote: string;
  removed: TransferObject[];
  failed: FailedObject[];
}

/** `gc -c`: remove remote objects the selected revisions do not use. */
export async function gcCloud(
  repo: Repo,
  opts: RevisionSelection & { remote?: string; dryRun?: boolean; jobs?: number },
): Promise<GcCloudResult> {
  const used = usedObjects(repo, { ...opts, workspace: true });
  if (used.missingDirs.length) {
    throw new CairnError(
      `cannot collect garbage on the remote: the listing of ${
        used.missingDirs.map((d) => [...d.paths][0]).join(", ")
      } is not in the cache, so the files it keeps are unknown`,
      { hint: "run 'cairn fetch' first" },
    );
  }
  const keep = [...used.objects.values()].map((u) => ({ md5: u.md5, legacy: u.legacy }));
  const remote = await openRepoRemote(repo, opts.remote, "gc");
  try {
    const r = await gcRemote(remote, keep, { dryRun: opts.dryRun, jobs: opts.jobs });
    return { remote: remote.name, ...r };
  } finally {
    await remote.close();
  }
}
