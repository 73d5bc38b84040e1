/** `status -c`: the used objects compared between the cache and the remote. */
import { ObjectStore } from "../cache/object_store.ts";
import { remoteStatus, type TransferObject } from "../cache/transfer.ts";
import { openRepoRemote, resolveRemote } from "./remote.ts";
import type { CorruptObject } from "../cache/corrupt.ts";
import type { Repo } from "./repo.ts";
import { collect, corruptOf, type SyncOptions } from "./_sync.ts";

export interface CloudStatusOptions extends SyncOptions {}

export interface CloudStatusResult {
  /** remote name. */
  remote: string;
  /** output path (and paths inside directory outputs) -> "new" | "deleted" | "missing". */
  changes: Record<string, "new" | "deleted" | "missing">;
  /** objects found corrupted while comparing (a local copy is removed: then not "new"). */
  corrupt: CorruptObject[];
}

/** `status -c`: used objects compared between the cache and the remote. */
export async function cloudStatus(
  repo: Repo,
  targets: string[] = [],
  opts: CloudStatusOptions = {},
): Promise<CloudStatusResult> {
  const { groups, used } = collect(repo, targets, opts, false);
  const name = resolveRemote(repo, opts.remote, "status").name;
  for (const g of groups) resolveRemote(repo, g.remote, "status");
  const changes: CloudStatusResult["changes"] = {};
  const corrupt: CorruptObject[] = [];
  const mark = (objs: TransferObject[], what: "new" | "deleted" | "missing") => {
    for (const o of objs) {
      for (const p of used.get(`${o.legacy ? "L" : ""}${o.md5}`)?.paths ?? []) changes[p] = what;
    }
  };
  // Outputs with their own `remote:` are compared with that remote.
  for (const g of groups) {
    const remote = await openRepoRemote(repo, g.remote, "status");
    try {
      const st = await remoteStatus(new ObjectStore(repo.cacheDir), remote, g.objects, {
        jobs: opts.jobs,
      });
      mark(st.new, "new");
      mark(st.deleted, "deleted");
      mark(st.missing, "missing");
      for (const c of corruptOf(st.corrupt, used, remote.name)) corrupt.push(c); // may be huge
    } finally {
      await remote.close();
    }
  }
  return { remote: name, changes, corrupt };
}
