/**
 * `.dvcignore` (spec §1.2): gitignore syntax, one file per directory applying
 * to that directory and below, deeper files overriding shallower ones, plus
 * the built-ins `.git`, `.hg/`, `.dvc/` at any depth.
 */
import { GitIgnore } from "./gitignore.ts";
import { CairnError, ExitCode } from "../errors.ts";

export const DVCIGNORE = ".dvcignore";

interface Level {
  /** absolute directory holding the .dvcignore, no trailing slash */
  base: string;
  ig: GitIgnore;
}

/** Built-in ignores, by name: `.git` (file or dir), `.hg/`, `.dvc/`. */
export function isBuiltinIgnored(name: string, isDir: boolean): boolean {
  if (name === ".git") return true;
  return isDir && (name === ".dvc" || name === ".hg");
}

/** Rules that apply inside one directory (what the walker asks per entry). */
export interface DirRules {
  /** true if the child `name` of this directory is ignored. */
  ignores(name: string, isDir: boolean): boolean;
  /** true when only the built-ins apply (lets the walker skip matching). */
  readonly trivial: boolean;
}

/** The .dvcignore rules of a repository, loaded lazily per directory. */
export class DvcIgnore {
  readonly rootDir: string;
  #chains = new Map<string, Level[]>();

  /** `rootDir`: absolute repo root (where the top `.dvcignore` lives). */
  constructor(rootDir: string) {
    this.rootDir = stripSlash(rootDir);
  }

  /** Rules for the children of absolute directory `dir`. */
  forDir(dir: string): DirRules {
    const chain = this.#chain(stripSlash(dir));
    const base = stripSlash(dir);
    if (chain.length === 0) return BUILTIN_ONLY;
    // What each level says about `dir` and its ancestors is the same for
    // every child: decided once here, so a child costs one pass over each
    // level's rules instead of one per ancestor (GitIgnore.test).
    const levels = chain.map(({ base: lb, ig }) => {
      const relDir = base === lb ? "" : base.slice(lb.length + 1);
      return {
        ig,
        prefix: relDir === "" ? "" : `${relDir}/`,
        dirIgnored: relDir !== "" && ig.test(`${relDir}/`).ignored,
      };
    });
    return {
      trivial: false,
      ignores: (name, isDir) => {
        if (isBuiltinIgnored(name, isDir)) return true;
        // Deepest file with a matching rule decides, as in git.
        for (let i = levels.length - 1; i >= 0; i--) {
          const l = levels[i];
          if (l.dirIgnored) return true;
          const r = l.ig.match(l.prefix + name, isDir);
          if (r) return !r.negate;
        }
        return false;
      },
    };
  }

  /**
   * Is the absolute path ignored, by itself or through an ignored ancestor
   * directory? Paths outside the root only see the built-ins.
   */
  isIgnored(absPath: string, isDir: boolean): boolean {
    const path = stripSlash(absPath);
    const root = this.rootDir;
    if (path === root) return false;
    if (!path.startsWith(root + "/")) {
      const parts = path.split("/");
      return parts.some((p, i) => isBuiltinIgnored(p, i < parts.length - 1 || isDir));
    }
    const parts = path.slice(root.length + 1).split("/");
    let dir = root;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      if (this.forDir(dir).ignores(parts[i], last ? isDir : true)) return true;
      dir = `${dir}/${parts[i]}`;
    }
    return false;
  }

  /** Forget cached rules (after a `.dvcignore` changed). */
  reset(): void {
    this.#chains.clear();
  }

  #chain(dir: string): Level[] {
    const cached = this.#chains.get(dir);
    if (cached) return cached;
    let chain: Level[];
    if (dir === this.rootDir || !dir.startsWith(this.rootDir + "/")) {
      chain = dir === this.rootDir ? levelAt(dir, []) : [];
    } else {
      const parent = dir.slice(0, dir.lastIndexOf("/"));
      chain = levelAt(dir, this.#chain(parent));
    }
    this.#chains.set(dir, chain);
    return chain;
  }
}

const BUILTIN_ONLY: DirRules = { trivial: true, ignores: isBuiltinIgnored };

function stripSlash(p: string): string {
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}

/** parent chain + the level of `dir`'s own .dvcignore, if it has rules. */
function levelAt(dir: string, parent: Level[]): Level[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dir}/${DVCIGNORE}`);
  } catch (err) {
    if (
      err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.NotADirectory ||
      err instanceof Deno.errors.IsADirectory
    ) return parent;
    throw new CairnError(`cannot read '${dir}/${DVCIGNORE}'`, { cause: err });
  }
  const lines = text.split(/\r?\n/);
  if (!lines.some((l) => l.trim() !== "" && !l.startsWith("#"))) return parent;
  // case-sensitive, as git (and pathspec, which DVC uses) on Linux
  const ig = new GitIgnore(lines);
  return [...parent, { base: dir, ig }];
}

/** DVC refuses to collect a directory that contains a `.dvcignore` (exit 255). */
export class DvcIgnoreInCollectedDirError extends CairnError {
  constructor(dir: string) {
    super(
      `.dvcignore file should not be in collected dir path: '${dir}'`,
      { exitCode: ExitCode.other },
    );
  }
}
