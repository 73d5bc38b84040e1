/** Path helpers of the sandbox layer: absolute POSIX paths, real-path resolution. */
import * as path from "../path.ts";

const posix = path.posix;

/** Absolute, normalised form of `p` taken relative to `base`. */
export function absPath(base: string, p: string): string {
  return posix.resolve(base, p);
}

/** True when `p` is `dir` or lies below it. */
export function isWithin(p: string, dir: string): boolean {
  if (dir === "/") return p.startsWith("/");
  return p === dir || p.startsWith(dir + "/");
}

/** Number of components ("/" = 0, "/a/b" = 2); mounts must be applied shallow-first. */
export function depthOf(p: string): number {
  return p === "/" ? 0 : p.split("/").length - 1;
}

export function parentOf(p: string): string {
  return posix.dirname(p);
}

export function relPath(from: string, to: string): string {
  return posix.relative(from, to) || ".";
}

export function lstatOrNull(p: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(p);
  } catch {
    return null;
  }
}

export function statOrNull(p: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(p);
  } catch {
    return null;
  }
}

/**
 * The real path of `p`: symlinks resolved on the longest existing prefix and
 * the missing tail appended, so a path that does not exist yet still resolves
 * through the symlinked folders it would be created in.
 */
export function realPathOf(p: string): string {
  const abs = posix.resolve(p);
  let head = abs;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = Deno.realPathSync(head);
      return tail.length ? posix.join(real, ...tail.reverse()) : real;
    } catch {
      if (head === "/") return abs;
      tail.push(posix.basename(head));
      head = posix.dirname(head);
    }
  }
}

/**
 * Expand `~`, `$NAME` and `${NAME}` in a grant path. An unset variable is an
 * error (returned as its name) rather than an empty string: `/scratch/$USER`
 * silently becoming `/scratch/` would widen the grant.
 */
export function expandVars(
  p: string,
  env: Record<string, string | undefined>,
  home: string | undefined,
): { value: string } | { missing: string } {
  let s = p;
  if (s === "~" || s.startsWith("~/")) {
    if (!home) return { missing: "HOME" };
    s = home + s.slice(1);
  }
  let missing: string | undefined;
  s = s.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (_m, a: string | undefined, b: string | undefined) => {
      const name = (a ?? b)!;
      const v = env[name];
      if (v === undefined || v === "") {
        missing ??= name;
        return "";
      }
      return v;
    },
  );
  return missing ? { missing } : { value: s };
}
