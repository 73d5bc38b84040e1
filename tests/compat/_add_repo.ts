/** fixtures/dvc3/add_repo, as the cache layout compat tests use it. */
import type { CacheContext } from "../../lib/cache/types.ts";
import { DvcIgnore } from "../../lib/fs/dvcignore.ts";
import { StateIndex } from "../../lib/hash/state.ts";
import type { HashInfo } from "../../lib/stage/types.ts";

/** The workspace and `.dvc/cache` DVC 3.64 wrote. */
export const ADD_REPO = new URL("../fixtures/dvc3/add_repo/repo", import.meta.url).pathname;

/** What DVC 3.64 recorded for add_repo's `images/` (a `.dir` of 5 files). */
export const IMAGES_HASH: Readonly<HashInfo> = {
  md5: "08eb077c61a91daf20a39542c665fa03.dir",
  size: 82,
  nfiles: 5,
  hashName: "md5",
};

/**
 * A cache context for a repo at `root` (its `.dvc/tmp` made, a state index
 * there, reflink else copy) over the cache `cacheDir`; the caller closes
 * `state`.
 */
export function cacheContext(
  root: string,
  cacheDir = `${root}/.dvc/cache`,
): CacheContext & { state: StateIndex } {
  Deno.mkdirSync(`${root}/.dvc/tmp`, { recursive: true });
  return {
    rootDir: root,
    cacheDir,
    linkTypes: ["reflink", "copy"],
    state: StateIndex.forRepo(`${root}/.dvc`),
    ignore: new DvcIgnore(root),
  };
}
