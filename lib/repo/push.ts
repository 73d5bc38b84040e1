/**
 * `push`, `fetch`, `pull`, `status -c` and `gc -c` (spec §7, §16): which
 * objects the selected revisions use, grouped by the remote each output goes
 * to (`remote:` on the output, else `-r`, else `core.remote`), moved by the
 * transfer engine through the remote's plugin.
 */
import { join } from "node:path";
import { CairnError } from "../errors.ts";
import { guardListing } from "../cache/checkout.ts";
import { ObjectStore } from "../cache/object_store.ts";
import type { DirEntry } from "../hash/dir_listing.ts";
import {
  type CorruptTransferObject,
  type FailedObject,
  fetchObjects,
  gcRemote,
  pushObjects,
  remoteStatus,
  type TransferObject,
  type TransferProgress,
  transferRunCache,
} from "../cache/transfer.ts";
import type { Output, Stage } from "../stage/types.ts";
import { allOutputs, collectStages, stagePath } from "./collect.ts";
import { selectOutputs } from "./targets.ts";
import { type RevisionSelection, type UsedObject, usedObjects } from "./used_objects.ts";
import { openRepoRemote, resolveRemote } from "./remote.ts";
import { checkout, CheckoutFailed, type CheckoutSummary } from "./checkout.ts";
import type { CorruptObject } from "../cache/corrupt.ts";
import type { Repo } from "./repo.ts";

export interface SyncOptions extends RevisionSelection {
  /** `-r`: the remote for outputs without their own `remote:`. */
  remote?: string;
  jobs?: number;
  withDeps?: boolean;
  recursive?: boolean;
  glob?: boolean;
  /** `--run-cache`: also transfer `runs/` entries. */
  runCache?: boolean;
  onProgress?: (remote: string, p: TransferProgress) => void;
}

export interface MissingObject {
  md5: string;
  /** output paths using it. */
  paths: string[];
}

export interface SyncResult {
  /** objects moved (file and `.dir` objects), over all remotes. */
  transferred: number;
  /** run-cache entries moved. */
  runCache: number;
  failed: FailedObject[];
  /** neither in the cache nor on the remote. */
  missing: MissingObject[];
  /**
   * objects found corrupted: local ones were removed (push: not uploaded;
   * fetch: downloaded again), remote ones not downloaded.
   */
  corrupt: CorruptObject[];
  /** remotes used. */
  remotes: string[];
}

interface Group {
  remote: string | undefined;
  objects: TransferObject[];
}

function targetFilter(
  repo: Repo,
  targets: string[],
  opts: SyncOptions,
): ((stage: Stage, out: Output) => boolean) | undefined {
  if (!targets.length) return undefined;
  const paths = new Set(
    selectOutputs(repo, targets, {
      withDeps: opts.withDeps,
      recursive: opts.recursive,
      glob: opts.glob,
    }).map((o) => o.rel),
  );
  return (stage, out) => paths.has(stagePath(stage, out.path));
}

/** Used objects grouped by destination remote name (undefined = -r / default). */
function collect(
  repo: Repo,
  targets: string[],
  opts: SyncOptions,
  forPush: boolean,
  skipImports = forPush,
): { groups: Group[]; used: Map<string, UsedObject> } {
  const used = usedObjects(repo, {
    ...opts,
    filter: targetFilter(repo, targets, opts),
    skipImports,
  });
  const byRemote = new Map<string | undefined, TransferObject[]>();
  const all = [...used.objects.values()];
  for (const u of all) {
    if (forPush && !u.push) continue;
    for (const r of u.remotes) {
      const key = r ?? opts.remote;
      const list = byRemote.get(key) ?? [];
      list.push({ md5: u.md5, legacy: u.legacy });
      byRemote.set(key, list);
    }
  }
  const map = new Map<string, UsedObject>();
  for (const u of all) map.set(`${u.legacy ? "L" : ""}${u.md5}`, u);
  return { groups: [...byRemote].map(([remote, objects]) => ({ remote, objects })), used: map };
}

/**
 * fetch: a remote's `.dir` listing is refused before any file it lists is
 * downloaded if an entry would leave its output folder (see lib/fs/path_guard.ts).
 */
function listingGuard(
  repo: Repo,
  used: Map<string, UsedObject>,
): (dir: TransferObject, entries: DirEntry[]) => void {
  const fileOf = new Map<string, string>();
  for (const o of allOutputs(collectStages(repo))) fileOf.set(o.rel, o.stage.file);
  return (dir, entries) => {
    const u = used.get(`${dir.legacy ? "L" : ""}${dir.md5}`);
    const out = u ? [...u.paths][0] : undefined;
    const file = out !== undefined ? fileOf.get(out) ?? `${out}.dvc` : undefined;
    guardListing(out !== undefined ? join(repo.root, out) : repo.root, dir.md5, entries, file);
  };
}

function corruptOf(
  objs: CorruptTransferObject[],
  used: Map<string, UsedObject>,
  remote: string,
): CorruptObject[] {
  return objs.map((o) => ({
    md5: o.md5,
    source: o.source,
    remote: o.source === "remote" ? remote : undefined,
    location: o.location,
    paths: [...(used.get(`${o.legacy ? "L" : ""}${o.md5}`)?.paths ?? [])],
  }));
}

function missingOf(objs: TransferObject[], used: Map<string, UsedObject>): MissingObject[] {
  return objs.map((o) => ({
    md5: o.md5,
    paths: [...(used.get(`${o.legacy ? "L" : ""}${o.md5}`)?.paths ?? [])],
  }));
}

async function sync(
  repo: Repo,
  targets: string[],
  opts: SyncOptions,
  direction: "push" | "fetch",
): Promise<SyncResult> {
  // Repo imports are never pushed, and fetched from their source repo (see fetch).
  const { groups, used } = collect(repo, targets, opts, direction === "push", true);
  const result: SyncResult = {
    transferred: 0,
    runCache: 0,
    failed: [],
    missing: [],
    corrupt: [],
    remotes: [],
  };
  if (!groups.length && opts.runCache) groups.push({ remote: opts.remote, objects: [] });
  // Fail before moving anything if a remote is not configured.
  for (const g of groups) resolveRemote(repo, g.remote, direction);
  const store = new ObjectStore(repo.cacheDir);
  for (const g of groups) {
    const remote = await openRepoRemote(repo, g.remote, direction);
    result.remotes.push(remote.name);
    try {
      const topts = {
        jobs: opts.jobs,
        onProgress: opts.onProgress && ((p: TransferProgress) => opts.onProgress!(remote.name, p)),
        checkListing: listingGuard(repo, used),
      };
      const r = direction === "push"
        ? await pushObjects(store, remote, g.objects, topts)
        : await fetchObjects(store, remote, g.objects, topts);
      result.transferred += r.transferred.length;
      // a corrupted remote copy is reported as such (corrupt), not as a failed download
      const badCopy = new Set(r.corrupt.filter((c) => c.source === "remote").map((c) => c.md5));
      result.failed.push(...r.failed.filter((f) => !badCopy.has(f.md5)));
      result.missing.push(...missingOf(r.missing, used));
      result.corrupt.push(...corruptOf(r.corrupt, used, remote.name));
      if (opts.runCache) {
        const rc = await transferRunCache(
          repo.cacheDir,
          remote,
          direction === "push" ? "push" : "pull",
          {
            jobs: opts.jobs,
          },
        );
        result.runCache += rc.transferred.length;
        for (const f of rc.failed) {
          result.failed.push({
            md5: f.key,
            legacy: false,
            error: f.error,
            wire: { name: "RemoteError", message: f.error },
          });
        }
      }
    } finally {
      await remote.close();
    }
  }
  return result;
}

/** Upload what the remote lacks. */
export function push(
  repo: Repo,
  targets: string[] = [],
  opts: SyncOptions = {},
): Promise<SyncResult> {
  return sync(repo, targets, opts, "push");
}

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
    summary = await checkout(repo, targets, {
      force: opts.force,
      withDeps: opts.withDeps,
      recursive: opts.recursive,
      allowMissing: opts.allowMissing,
    });
  } catch (err) {
    // what fetch found corrupted explains why checkout found nothing to use
    if (err instanceof CheckoutFailed && fetched.corrupt.length) {
      throw new CheckoutFailed(err.summary, fetched.corrupt);
    }
    throw err;
  }
  return { ...fetched, checkout: summary };
}

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
      corrupt.push(...corruptOf(st.corrupt, used, remote.name));
    } finally {
      await remote.close();
    }
  }
  return { remote: name, changes, corrupt };
}

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
