/**
 * stat/lstat that answer null (or false) where nothing is: a missing path or
 * a missing folder (or a file) on the way. Anything else (EACCES, EIO) is an
 * error naming the path.
 */
import { fsError } from "../errors.ts";

function orNull(path: string, stat: (p: string) => Deno.FileInfo): Deno.FileInfo | null {
  try {
    return stat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return null;
    }
    throw fsError(err, "reading", path);
  }
}

/** `path`'s own info (a symlink is not followed), or null when nothing is there. */
export function lstatOrNull(path: string): Deno.FileInfo | null {
  return orNull(path, Deno.lstatSync);
}

/** The info of what `path` leads to (symlinks followed), or null when nothing is there. */
export function statOrNull(path: string): Deno.FileInfo | null {
  return orNull(path, Deno.statSync);
}

/** Whether something is at `path` (a dangling symlink is). */
export function lexists(path: string): boolean {
  return lstatOrNull(path) !== null;
}

/** Whether `path` leads to something (a dangling symlink does not). */
export function exists(path: string): boolean {
  return statOrNull(path) !== null;
}
