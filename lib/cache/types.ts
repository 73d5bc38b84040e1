/**
 * What the cache code needs to know about a repository, passed in explicitly
 * (no globals): where the workspace and cache are, how to link, the state
 * index and the ignore rules.
 */
import type { DvcIgnore } from "../fs/dvcignore.ts";
import type { StateIndex } from "../hash/state.ts";

/** `cache.type` entries (spec §6.2). */
export type LinkType = "reflink" | "hardlink" | "symlink" | "copy";

export const LINK_TYPES: readonly LinkType[] = [
  "reflink",
  "hardlink",
  "symlink",
  "copy",
];

/** DVC's default `cache.type`. */
export const DEFAULT_LINK_TYPES: readonly LinkType[] = ["reflink", "copy"];

/** `cache.shared`: only "group" changes anything. */
export type SharedMode = "group";

export interface CacheContext {
  /** absolute repository root (the workspace) */
  rootDir: string;
  /** absolute cache directory (`cache.dir`, default `<root>/.dvc/cache`) */
  cacheDir: string;
  /** `cache.type` in order of preference */
  linkTypes: readonly LinkType[];
  /** `cache.shared` */
  shared?: SharedMode;
  /** per-file hash cache; without it every file is read */
  state?: StateIndex;
  /** `.dvcignore` rules of the repository */
  ignore?: DvcIgnore;
}

/** Parse a `cache.type` config value ("reflink,copy"); throws on unknown names. */
export function parseLinkTypes(value: string | string[]): LinkType[] {
  const parts = Array.isArray(value)
    ? value
    : value.split(",").map((s) => s.trim()).filter((s) => s !== "");
  for (const p of parts) {
    if (!(LINK_TYPES as readonly string[]).includes(p)) {
      throw new TypeError(`unsupported cache type '${p}'`);
    }
  }
  return parts as LinkType[];
}
