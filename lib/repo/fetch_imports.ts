/**
 * `fetch`/`pull` for repo imports: the objects of import outputs missing from
 * the cache are fetched from the source repo at `rev_lock`.
 */
import { join } from "node:path";
import { commitOutput } from "../cache/checkout.ts";
import { ObjectStore } from "../cache/object_store.ts";
import type { Output, Stage } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { collectStages, stagePath } from "./collect.ts";
import type { Repo } from "./repo.ts";
import {
  copyTree,
  depCwd,
  fetchSourceData,
  hasData,
  locate,
  openSource,
  removePath,
  repoDep,
  subHash,
} from "./_import_source.ts";

/**
 * `fetch`/`pull` for repo imports: the objects of import outputs missing
 * from the cache are fetched from the source repo at `rev_lock`.
 */
export async function fetchImports(
  repo: Repo,
  filter?: (stage: Stage, out: Output) => boolean,
): Promise<{ fetched: number; failed: { path: string; error: string }[] }> {
  const store = new ObjectStore(repo.cacheDir);
  const res = { fetched: 0, failed: [] as { path: string; error: string }[] };
  for (const stage of collectStages(repo).stages) {
    const dep = repoDep(stage);
    const out = stage.outs[0];
    if (!dep || !dep.repo!.revLock || !out?.hash?.md5) continue;
    if (filter && !filter(stage, out)) continue;
    if (hasData(store, out.hash)) continue;
    try {
      const src = openSource(dep.repo!.url, depCwd(repo, stage), {
        revLock: dep.repo!.revLock,
        remote: dep.repo!.remote,
      });
      try {
        const item = locate(src, dep.path);
        if (item.kind === "dvc") {
          await fetchSourceData(src, item.srcRepo, item.hash, repo.cacheDir);
          if (item.sub !== undefined) subHash(store, item.hash, item.sub, src.url);
        } else {
          // git data: store it by committing a copy (the workspace is left to checkout).
          const ctx = cacheContext(repo);
          const stagingDir = Deno.makeTempDirSync({ prefix: "cairn-import-" });
          try {
            const staged = join(stagingDir, "data");
            copyTree(item.abs, staged);
            await commitOutput({ ...ctx, ignore: undefined, state: undefined }, staged, {
              relink: false,
            });
          } finally {
            removePath(stagingDir);
          }
        }
        res.fetched++;
      } finally {
        src.cleanup();
      }
    } catch (err) {
      res.failed.push({ path: stagePath(stage, out.path), error: (err as Error).message });
    }
  }
  return res;
}

// ---------------------------------------------------------------- import-url
