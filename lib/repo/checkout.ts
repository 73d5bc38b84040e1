/**
 * `checkout`: make workspace outputs match the hashes recorded in `.dvc`
 * files and dvc.lock (spec §19.4). Outputs whose objects are missing from
 * the cache are skipped and reported together at the end.
 */
import { CheckoutError } from "../errors.ts";
import { checkoutOutput, type CheckoutResult, guardListing } from "../cache/checkout.ts";
import { CorruptObjectError, MissingObjectError, ObjectStore } from "../cache/object_store.ts";
import { Linker } from "../cache/link.ts";
import { type CorruptObject, describeCorrupt } from "../cache/corrupt.ts";
import type { ProgressFn } from "../hash/hash_files.ts";
import type { DirEntry } from "../hash/dir_listing.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { checkInterrupted } from "../interrupt.ts";
import { span } from "../trace.ts";
import { cacheContext } from "./cache_context.ts";
import { allOutputs, collectStages, type OutputOf, stageAbsPath } from "./collect.ts";
import type { Repo } from "./repo.ts";
import { selectOutputs } from "./targets.ts";
import { removeLinks, saveLink, unusedLinks } from "./workspace_links.ts";

export interface CheckoutOptions {
  force?: boolean;
  relink?: boolean;
  recursive?: boolean;
  withDeps?: boolean;
  allowMissing?: boolean;
  onProgress?: ProgressFn;
  /** asked before overwriting workspace data that is not in the cache. */
  confirmRemove?: (paths: string[]) => boolean | Promise<boolean>;
}

export interface OutputCheckout {
  /** repo-relative output path. */
  path: string;
  isDir: boolean;
  result: CheckoutResult;
}

export interface CheckoutSummary {
  outputs: OutputCheckout[];
  added: string[];
  modified: string[];
  deleted: string[];
  /** outputs that could not be checked out (missing cache objects). */
  failed: string[];
  /** local cache objects found corrupted (removed, not checked out); also in `failed`. */
  corrupt?: CorruptObject[];
}

function isCheckoutable(o: OutputOf): boolean {
  return o.out.cache && o.out.hash !== undefined && o.out.hash.md5 !== "";
}

export async function checkout(
  repo: Repo,
  targets: string[] = [],
  opts: CheckoutOptions = {},
): Promise<CheckoutSummary> {
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const outs = selectOutputs(repo, targets, {
      recursive: opts.recursive,
      withDeps: opts.withDeps,
    })
      .filter(isCheckoutable);
    const ctx = cacheContext(repo);
    const guarded = span("checkout: guard listings", () => guardListings(repo, ctx.cacheDir, outs));
    const linker = new Linker(ctx.linkTypes);
    const summary: CheckoutSummary = {
      outputs: [],
      added: [],
      modified: [],
      deleted: [],
      failed: [],
    };
    if (!targets.length) {
      // outputs cairn wrote earlier that nothing tracks now (DVC: unused links)
      const used = new Set(allOutputs(collectStages(repo)).map((o) => o.rel));
      const unused = unusedLinks(ctx, used);
      removeLinks(ctx, unused);
      summary.deleted.push(...unused.map((l) => (l.isDir ? `${l.path}/` : l.path)));
    }
    for (const o of outs) {
      checkInterrupted();
      const abs = stageAbsPath(repo, o.stage, o.out.path);
      const isDir = o.out.hash!.md5.endsWith(".dir");
      const result = await checkoutOutput(ctx, { path: abs, hash: o.out.hash! }, {
        force: opts.force,
        relink: opts.relink,
        linker,
        onProgress: opts.onProgress,
        confirmRemove: opts.confirmRemove,
        source: o.stage.file,
        listingGuarded: guarded.has(o),
        listing: guarded.get(o) ?? undefined,
      });
      guarded.delete(o); // its listing is no longer needed
      summary.outputs.push({ path: o.rel, isDir, result });
      for (const c of result.corrupt) {
        (summary.corrupt ??= []).push({
          md5: c.md5,
          source: "cache",
          location: c.path,
          paths: [c.relpath ? `${o.rel}/${c.relpath}` : o.rel],
        });
      }
      const shown = isDir ? `${o.rel}/` : o.rel;
      if (result.status === "missing") {
        if (!opts.allowMissing) summary.failed.push(o.rel);
      } else if (result.status === "added") summary.added.push(shown);
      else if (result.status === "modified") summary.modified.push(shown);
      if (result.status === "added" || result.status === "modified") {
        span("checkout: save link", () => saveLink(ctx, abs, result.files));
      }
    }
    if (summary.failed.length) throw new CheckoutFailed(summary);
    return summary;
  } finally {
    lock.release();
  }
}

/** Entries of listings read by guardListings kept for the checkout (more are read again). */
const KEEP_LISTED = 1_000_000;

/**
 * Check every `.dir` listing in the cache before the first output is
 * written, so a hostile entry in a later output leaves the earlier ones
 * untouched too. Returns the outputs checked (checkoutOutput skips its own
 * pass for them) with their listings, up to KEEP_LISTED entries in all (null
 * past that), so they are not read and parsed twice.
 */
function guardListings(
  repo: Repo,
  cacheDir: string,
  outs: OutputOf[],
): Map<OutputOf, DirEntry[] | null> {
  const store = new ObjectStore(cacheDir);
  const checked = new Map<OutputOf, DirEntry[] | null>();
  let kept = 0;
  for (const o of outs) {
    const hash = o.out.hash!;
    if (!hash.md5.endsWith(".dir")) continue;
    let listing;
    try {
      listing = store.readDirObject(hash.md5, { legacy: hash.hashName !== "md5" });
    } catch (err) {
      if (err instanceof MissingObjectError || err instanceof CorruptObjectError) continue;
      throw err;
    }
    guardListing(stageAbsPath(repo, o.stage, o.out.path), hash.md5, listing, o.stage.file);
    const keep = kept + listing.length <= KEEP_LISTED;
    if (keep) kept += listing.length;
    checked.set(o, keep ? listing : null);
  }
  return checked;
}

/**
 * CheckoutError that still carries what did get checked out. Corrupted
 * objects (the summary's, and `corrupt` found elsewhere, e.g. on a remote
 * by pull) are named in the message, not left to read as "missing".
 */
export class CheckoutFailed extends CheckoutError {
  summary: CheckoutSummary;
  constructor(summary: CheckoutSummary, corrupt: CorruptObject[] = []) {
    const all = [...(summary.corrupt ?? []), ...corrupt];
    super(
      summary.failed,
      all.map((c) => describeCorrupt(c, c.source === "cache" ? "and not checked out" : "")),
    );
    this.summary = { ...summary, corrupt: all };
  }
}
