/** The CacheContext of a repository (link types, shared mode, state, .dvcignore) from its config. */
import { ConfigError } from "../errors.ts";
import { type CacheContext, DEFAULT_LINK_TYPES, parseLinkTypes } from "../cache/types.ts";
import { DvcIgnore } from "../fs/dvcignore.ts";
import { StateIndex } from "../hash/state.ts";
import type { Repo } from "./repo.ts";

const contexts = new WeakMap<Repo, CacheContext>();

/** One context per opened repo: the state DB and ignore rules are opened once. */
export function cacheContext(repo: Repo): CacheContext {
  const cached = contexts.get(repo);
  if (cached) return cached;
  let linkTypes = DEFAULT_LINK_TYPES;
  if (repo.config.cache.type) {
    try {
      linkTypes = parseLinkTypes(repo.config.cache.type);
    } catch (err) {
      throw new ConfigError(`configuration error: ${(err as Error).message} in cache.type`, {
        hint: "valid types: reflink, hardlink, symlink, copy",
      });
    }
  }
  const shared = repo.config.cache.shared;
  if (shared !== undefined && shared !== "group") {
    throw new ConfigError(`configuration error: cache.shared must be 'group', got '${shared}'`);
  }
  const ctx: CacheContext = {
    rootDir: repo.root,
    cacheDir: repo.cacheDir,
    linkTypes,
    shared: shared === "group" ? "group" : undefined,
    ignore: new DvcIgnore(repo.root),
  };
  // Opened on first use: a command that looks nothing up (an empty repo's
  // status) skips creating and migrating the database (issue 16).
  let state: StateIndex | undefined;
  Object.defineProperty(ctx, "state", {
    get: () => state ??= StateIndex.forRepo(repo.dvcDir),
    enumerable: true,
    configurable: true,
  });
  contexts.set(repo, ctx);
  return ctx;
}
