/** lstat that answers null for a missing path (or a missing folder on the way). */
import { ignoreNotFound } from "../errors.ts";

/** `path`'s own info (a symlink is not followed), or null when nothing is there. */
export function lstatOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(path);
  } catch (err) {
    ignoreNotFound(err); // anything else (EACCES, EIO) is thrown on
    return null;
  }
}
