/** `pull`: `fetch` then `checkout` of the same targets. */
import { checkout, CheckoutFailed, type CheckoutSummary } from "./checkout.ts";
import type { Repo } from "./repo.ts";
import type { SyncOptions, SyncResult } from "./_sync.ts";
import { fetch } from "./fetch.ts";
import { spanAsync } from "../trace.ts";

export interface PullOptions extends SyncOptions {
  force?: boolean;
  allowMissing?: boolean;
}

export interface PullResult extends SyncResult {
  checkout: CheckoutSummary;
}

/** `fetch` then `checkout` of the same targets. */
export async function pull(
  repo: Repo,
  targets: string[] = [],
  opts: PullOptions = {},
): Promise<PullResult> {
  const fetched = await fetch(repo, targets, opts);
  let summary: CheckoutSummary;
  try {
    summary = await spanAsync("pull: checkout", () =>
      checkout(repo, targets, {
        force: opts.force,
        withDeps: opts.withDeps,
        recursive: opts.recursive,
        allowMissing: opts.allowMissing,
      }));
  } catch (err) {
    // what fetch found corrupted explains why checkout found nothing to use
    if (err instanceof CheckoutFailed && fetched.corrupt.length) {
      throw new CheckoutFailed(err.summary, fetched.corrupt);
    }
    throw err;
  }
  return { ...fetched, checkout: summary };
}
