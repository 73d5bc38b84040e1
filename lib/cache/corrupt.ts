/**
 * Corrupted objects, reported as such. An object whose bytes do not hash to
 * its name is never checked out, pushed or kept: a local one is deleted, a
 * remote one's download is discarded. The user is told which object (md5
 * and where it lives), which workspace paths use it, and what was done,
 * instead of the generic "missing from the cache".
 */

/** An object found corrupted (its content does not match its md5). */
export interface CorruptObject {
  md5: string;
  /** `cache`: the local copy (deleted); `remote`: the remote's copy (not downloaded). */
  source: "cache" | "remote";
  /** the remote's name, for `source: "remote"`. */
  remote?: string;
  /** the cache path, or the key on the remote. */
  location: string;
  /** repo-relative workspace paths that use the object (may be empty when unknown). */
  paths: string[];
}

/**
 * One line for the user: `'a.txt' (md5 …): the local cache object … is
 * corrupted (…); it was removed from the cache` + `then` (e.g. "and not
 * pushed"). lib never prints; the CLI shows these lines as warnings and
 * error details.
 */
export function describeCorrupt(c: CorruptObject, then = ""): string {
  const what = c.paths.length
    ? `${c.paths.map((p) => `'${p}'`).join(", ")} (md5 ${c.md5})`
    : `object ${c.md5}`;
  const where = c.source === "cache"
    ? `the local cache object ${c.location}`
    : `the copy on remote '${c.remote ?? "?"}' (${c.location})`;
  const done = c.source === "cache" ? "it was removed from the cache" : "it was not downloaded";
  return `${what}: ${where} is corrupted (its content does not match its md5); ${done}${
    then ? ` ${then}` : ""
  }`;
}

/** Cache paths of corrupted objects this process removed (any reader may be the first to see one). */
const removedHere = new Set<string>();

/** Remember that the object at `path` was removed as corrupted (called by ObjectStore). */
export function noteRemovedCorrupt(path: string): void {
  removedHere.add(path);
}

/**
 * Whether the object at `path` was removed as corrupted earlier in this
 * process: a later reader then finds it missing but reports it as corrupted.
 */
export function wasRemovedCorrupt(path: string): boolean {
  return removedHere.has(path);
}
