/**
 * `.gitignore` entries for cached outputs, as DVC/scmrepo manage them: one
 * `/<basename>` line in the output's parent directory (spec §19.1).
 */
import { basename, dirname, join } from "node:path";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { gitIgnored } from "./git.ts";

/** Escape gitignore-special characters the way scmrepo does. */
export function gitignoreEntry(name: string): string {
  return "/" + name.replace(/[[\]!*#?]/g, (c) => "\\" + c);
}

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Ignore `absPath` in git. Returns the .gitignore path if it was changed,
 * null when git already ignores the path or the line exists.
 */
export function ignoreInGit(
  absPath: string,
  opts: { scmRoot: string },
): string | null {
  const dir = dirname(absPath);
  const gi = join(dir, ".gitignore");
  const line = gitignoreEntry(basename(absPath));
  const text = readText(gi);
  if (text !== null && text.split("\n").includes(line)) return null;
  if (gitIgnored([absPath], opts.scmRoot).size > 0) return null;
  let next = text ?? "";
  if (next && !next.endsWith("\n")) next += "\n";
  next += line + "\n";
  Deno.mkdirSync(dir, { recursive: true });
  writeTextAtomic(gi, next);
  return gi;
}

/** Remove the entry for `absPath`; deletes a .gitignore left empty. Returns the path changed. */
export function unignoreInGit(absPath: string): string | null {
  const gi = join(dirname(absPath), ".gitignore");
  const text = readText(gi);
  if (text === null) return null;
  const line = gitignoreEntry(basename(absPath));
  const lines = text.split("\n");
  if (!lines.includes(line)) return null;
  const kept = lines.filter((l) => l !== line);
  const next = kept.join("\n");
  if (next.trim() === "") Deno.removeSync(gi);
  else writeTextAtomic(gi, next);
  return gi;
}
