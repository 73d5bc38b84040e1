/**
 * `check-ignore`: which paths `.dvcignore` rules exclude, and (with details)
 * the file, line and pattern that decided it.
 */
import { join, relative, resolve } from "node:path";
import { GitIgnore } from "../fs/gitignore.ts";
import { DvcIgnore } from "../fs/dvcignore.ts";
import type { Repo } from "./repo.ts";
import { ignoreNotFound } from "../errors.ts";

export interface IgnoreMatch {
  path: string;
  ignored: boolean;
  /** `.dvcignore` file (repo-relative), line number and pattern that matched. */
  source?: { file: string; line: number; pattern: string };
}

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch (err) {
    ignoreNotFound(err);
    return p.endsWith("/");
  }
}

/** The last matching rule along the `.dvcignore` files from the root down to the path. */
function matchingRule(repo: Repo, abs: string, dir: boolean): IgnoreMatch["source"] {
  let found: IgnoreMatch["source"];
  const rel = relative(repo.root, abs);
  const parts = rel.split("/");
  let base = repo.root;
  for (let i = 0; i < parts.length; i++) {
    let text: string | undefined;
    try {
      text = Deno.readTextFileSync(join(base, ".dvcignore"));
    } catch (err) {
      ignoreNotFound(err); // none here
    }
    if (text !== undefined) {
      const sub = relative(base, abs) + (dir ? "/" : "");
      text.split(/\r?\n/).forEach((line, idx) => {
        if (!line.trim() || line.startsWith("#")) return;
        const neg = line.startsWith("!");
        const r = new GitIgnore([neg ? line.slice(1) : line]).test(sub);
        if (r.ignored) {
          found = neg ? undefined : {
            file: relative(repo.root, join(base, ".dvcignore")),
            line: idx + 1,
            pattern: line,
          };
        }
      });
    }
    base = join(base, parts[i]);
  }
  return found;
}

export function checkIgnore(repo: Repo, targets: string[]): IgnoreMatch[] {
  const ig = new DvcIgnore(repo.root);
  return targets.map((t) => {
    const abs = resolve(repo.cwd, t);
    const dir = isDir(abs);
    const ignored = ig.isIgnored(abs, dir);
    return {
      path: t,
      ignored,
      source: ignored ? matchingRule(repo, abs, dir) : undefined,
    };
  });
}
