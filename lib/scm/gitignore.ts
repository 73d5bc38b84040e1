/**
 * `.gitignore` entries for cached outputs, as DVC/scmrepo manage them: one
 * `/<basename>` line in the output's parent directory (spec §19.1).
 */
import { basename, dirname, join, relative } from "../path.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { PathGuard } from "../fs/path_guard.ts";
import { CairnError } from "../errors.ts";
import { ignoredByGit } from "./git_ignored.ts";

/**
 * Why git cannot ignore exactly a file called `name` with a `.gitignore`
 * line; null if it can. gitignore is line-based with no escape for a
 * newline: `a\nb` would become the patterns `/a` and `b`.
 */
export function gitignoreNameProblem(name: string): string | null {
  if (name.includes("\n")) {
    return "its name contains a newline, which a .gitignore entry cannot express " +
      "(git would read two patterns and the file would show up as untracked)";
  }
  return null;
}

/** Refuse (before anything is written) a path whose .gitignore entry git could not read back. */
export function assertIgnorable(absPath: string, shown: string = absPath): void {
  const why = gitignoreNameProblem(basename(absPath));
  if (why) {
    throw new CairnError(`cannot track ${JSON.stringify(shown)}: ${why}`, {
      hint: "rename the file (no newline in its name) and try again",
    });
  }
}

/**
 * The `.gitignore` line for `name`, so git ignores exactly that file:
 * scmrepo's escapes (`[]!*#?`, byte-identical to DVC for those), plus what
 * git also reads specially and DVC leaves as is: a backslash, trailing
 * spaces (stripped unless escaped) and a trailing CR (stripped as CRLF;
 * a one-character class keeps it).
 */
export function gitignoreEntry(name: string): string {
  const why = gitignoreNameProblem(name);
  if (why) {
    throw new CairnError(`cannot write a .gitignore entry for ${JSON.stringify(name)}: ${why}`);
  }
  let body = name.replace(/[[\]!*#?\\]/g, (c) => "\\" + c);
  const trailing = /( +|\r)$/.exec(body);
  if (trailing) {
    const tail = trailing[1] === "\r" ? "[\r]" : "\\ ".repeat(trailing[1].length);
    body = body.slice(0, trailing.index) + tail;
  }
  return "/" + body;
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
  // Never a .gitignore outside the work tree or inside .git (scmrepo: FileNotInRepoError).
  new PathGuard(opts.scmRoot).resolve(relative(opts.scmRoot, gi), {
    file: gi,
    entry: "the .gitignore for",
  }, absPath);
  const line = gitignoreEntry(basename(absPath));
  const text = readText(gi);
  if (text !== null && text.split("\n").includes(line)) return null;
  if (ignoredByGit(absPath, opts.scmRoot)) return null;
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
  if (text === null || gitignoreNameProblem(basename(absPath))) return null;
  const line = gitignoreEntry(basename(absPath));
  const lines = text.split("\n");
  if (!lines.includes(line)) return null;
  const kept = lines.filter((l) => l !== line);
  const next = kept.join("\n");
  if (next.trim() === "") Deno.removeSync(gi);
  else writeTextAtomic(gi, next);
  return gi;
}
