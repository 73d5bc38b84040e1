/**
 * What `push`, `fetch`, `pull`, `status -c` and `gc -c` share (spec §7, §16):
 * which objects the selected revisions use, grouped by the remote each output
 * goes to (`remote:` on the output, else `-r`, else `core.remote`), moved by
 * the transfer engine through the remote's plugin.
 */
import { join } from "node:path";
import { guardListing } from "../cache/checkout.ts";
import { isUnusableListing, ObjectStore } from "../cache/object_store.ts";
import type { DirEntry } from "../hash/dir_listing.ts";
import {
  type CorruptTransferObject,
  type FailedObject,
  fetchObjects,
  pushObjects,
  type TransferObject,
  type TransferProgress,
  transferRunCache,
} from "../cache/transfer.ts";
import type { Output, Stage } from "../stage/types.ts";
import { allOutputs, collectStages, stagePath } from "./collect.ts";
import { selectOutputs } from "./targets.ts";
import { type RevisionSelection, type UsedObject, usedObjects } from "./used_objects.ts";
import { openRepoRemote, resolveRemote } from "./remote.ts";
import type { CorruptObject } from "../cache/corrupt.ts";
import type { Repo } from "./repo.ts";
import { span, spanAsync } from "../trace.ts";

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

export function targetFilter(
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
export function collect(
  repo: Repo,
  targets: string[],
  opts: SyncOptions,
  forPush: boolean,
  skipImports = forPush,
  expandDirs = true,
): { groups: Group[]; used: Map<string, UsedObject> } {
  const used = usedObjects(repo, {
    ...opts,
    filter: targetFilter(repo, targets, opts),
    skipImports,
    expandDirs,
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

export function corruptOf(
  objs: CorruptTransferObject[],
  used: Map<string, UsedObject>,
  remote: string,
  store?: ObjectStore,
): CorruptObject[] {
  const paths = pathsFinder(objs, used, store);
  return objs.map((o) => ({
    md5: o.md5,
    source: o.source,
    remote: o.source === "remote" ? remote : undefined,
    location: o.location,
    paths: paths(o),
  }));
}

function missingOf(
  objs: TransferObject[],
  used: Map<string, UsedObject>,
  store?: ObjectStore,
): MissingObject[] {
  const paths = pathsFinder(objs, used, store);
  return objs.map((o) => ({ md5: o.md5, paths: paths(o) }));
}

const keyOf = (o: TransferObject) => `${o.legacy ? "L" : ""}${o.md5}`;

/**
 * Output paths of objects, for messages. push/fetch collect `.dir` objects
 * without their files (the transfer engine expands them), so reported
 * objects (missing, corrupted: rare) are also looked up in the used listings
 * still in the cache, never a per-file cost up front.
 */
function pathsFinder(
  objs: TransferObject[],
  used: Map<string, UsedObject>,
  store?: ObjectStore,
): (o: TransferObject) => string[] {
  const unknown = new Set(objs.map(keyOf));
  const found = new Map<string, string[]>();
  if (unknown.size && store) {
    for (const u of used.values()) {
      if (!u.md5.endsWith(".dir")) continue;
      let entries: DirEntry[];
      try {
        entries = store.readDirObject(u.md5, { legacy: u.legacy });
      } catch (err) {
        if (!isUnusableListing(err)) throw err;
        continue; // missing or corrupt listing: its files are not named
      }
      for (const e of entries) {
        const k = `${u.legacy ? "L" : ""}${e.md5}`;
        if (!unknown.has(k)) continue;
        const list = found.get(k) ?? [];
        for (const p of u.paths) list.push(`${p}/${e.relpath}`);
        found.set(k, list);
      }
    }
  }
  return (
    o,
  ) => [...new Set([...(used.get(keyOf(o))?.paths ?? []), ...(found.get(keyOf(o)) ?? [])])];
}

export async function sync(
  repo: Repo,
  targets: string[],
  opts: SyncOptions,
  direction: "push" | "fetch",
): Promise<SyncResult> {
  // Repo imports are never pushed, and fetched from their source repo (see fetch).
  const { groups, used } = span(
    "sync: used objects",
    // `.dir` objects stay unexpanded: the transfer engine reads their listings itself.
    () => collect(repo, targets, opts, direction === "push", true, false),
  );
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
    const remote = await spanAsync(
      "sync: start remote plugin",
      () => openRepoRemote(repo, g.remote, direction),
    );
    result.remotes.push(remote.name);
    try {
      const topts = {
        jobs: opts.jobs,
        onProgress: opts.onProgress && ((p: TransferProgress) => opts.onProgress!(remote.name, p)),
        checkListing: listingGuard(repo, used),
      };
      const r = await spanAsync(
        `sync: ${direction}`,
        () =>
          direction === "push"
            ? pushObjects(store, remote, g.objects, topts)
            : fetchObjects(store, remote, g.objects, topts),
      );
      result.transferred += r.transferred.length;
      // a corrupted remote copy is reported as such (corrupt), not as a failed download
      const badCopy = new Set(r.corrupt.filter((c) => c.source === "remote").map((c) => c.md5));
      // loops, not push(...xs): a spread of ~120k+ items overflows V8's stack (1M-file repos)
      for (const f of r.failed) if (!badCopy.has(f.md5)) result.failed.push(f);
      for (const m of missingOf(r.missing, used, store)) result.missing.push(m);
      for (const c of corruptOf(r.corrupt, used, remote.name, store)) result.corrupt.push(c);
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
