/** `push`: upload the objects the selected revisions use that the remote lacks. */
import type { Repo } from "./repo.ts";
import { sync, type SyncOptions, type SyncResult } from "./_sync.ts";

/** Upload what the remote lacks. */
export function push(
  repo: Repo,
  targets: string[] = [],
  opts: SyncOptions = {},
): Promise<SyncResult> {
  return sync(repo, targets, opts, "push");
}
