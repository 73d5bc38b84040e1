/** `fetch`: download what the cache lacks (repo imports from their source repo). */
import type { Repo } from "./repo.ts";
import { sync, type SyncOptions, type SyncResult, targetFilter } from "./_sync.ts";

/** Download what the cache lacks (repo imports from their source repo at `rev_lock`). */
export async function fetch(
  repo: Repo,
  targets: string[] = [],
  opts: SyncOptions = {},
): Promise<SyncResult> {
  const result = await sync(repo, targets, opts, "fetch");
  const { fetchImports } = await import("./fetch_imports.ts");
  const imp = await fetchImports(repo, targetFilter(repo, targets, opts));
  result.transferred += imp.fetched;
  for (const f of imp.failed) {
    result.failed.push({
      md5: f.path,
      legacy: false,
      error: f.error,
      wire: { name: "ImportError", message: f.error },
    });
  }
  return result;
}
