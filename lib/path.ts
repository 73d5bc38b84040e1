/**
 * POSIX path functions with `node:path`'s results (its `posix` flavour; the
 * CLI runs on Linux and macOS). Importing `node:path` loads ~50 modules of
 * Deno's Node-compat layer (errors, inspect, assert, ...), about 15 ms of
 * CPU on every start-up; the modules on cairn's start-up path use these
 * instead. tests/unit/path_test.ts compares every function with
 * `node:path/posix` on a corpus of paths.
 */

/** The separator. */
export const sep = "/";

/** True for a path starting with `/`. */
export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/** The segments of `p` with `.` and `..` folded; `..` kept at the front of a relative path. */
function fold(p: string, absolute: boolean): string[] {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(seg);
  }
  return out;
}

/** `p` without `.`/`..` segments or repeated slashes (a trailing slash is kept). */
export function normalize(p: string): string {
  if (p === "") return ".";
  const absolute = isAbsolute(p);
  const trailing = p.endsWith("/");
  let out = fold(p, absolute).join("/");
  if (out === "" && !absolute) return trailing ? "./" : ".";
  if (trailing && out !== "") out += "/";
  return absolute ? "/" + out : out;
}

/** The non-empty parts joined with `/`, normalised (`.` when there are none). */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The absolute path of `parts` taken right to left, from the process's cwd. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !isAbsolute(path); i--) {
    if (parts[i] === "") continue;
    path = path === "" ? parts[i] : `${parts[i]}/${path}`;
  }
  if (!isAbsolute(path)) path = path === "" ? Deno.cwd() : `${Deno.cwd()}/${path}`;
  return "/" + fold(path, true).join("/");
}

/** The path from `from` to `to` (both resolved first); "" when they are the same. */
export function relative(from: string, to: string): string {
  if (from === to) return "";
  const a = fold(resolve(from), true);
  const b = fold(resolve(to), true);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  const up = new Array<string>(a.length - common).fill("..");
  return [...up, ...b.slice(common)].join("/");
}

/** `p` without its trailing slashes (the root stays `/`). */
function trimTrailing(p: string): string {
  let end = p.length;
  while (end > 1 && p.charCodeAt(end - 1) === 47) end--;
  return p.slice(0, end);
}

/** The directory part of `p` (trailing slashes ignored). */
export function dirname(p: string): string {
  if (p === "") return ".";
  const t = trimTrailing(p);
  const slash = t.lastIndexOf("/");
  if (slash === -1) return ".";
  if (slash === 0) return "/";
  // the directory keeps the slashes before the last run's final one (`a//b` -> `a/`)
  if (slash === 1 && t.startsWith("/")) return "//";
  return t.slice(0, slash);
}

/** The last segment of `p` (trailing slashes ignored). */
export function basename(p: string): string {
  const t = trimTrailing(p);
  if (t === "/") return "";
  return t.slice(t.lastIndexOf("/") + 1);
}

/** The path of a `file:` URL, as node:url's fileURLToPath gives it on POSIX. */
export function fromFileUrl(url: string | URL): string {
  const u = url instanceof URL ? url : new URL(url);
  if (u.protocol !== "file:") throw new TypeError(`not a file: URL: ${u.href}`);
  if (u.hostname !== "" && u.hostname !== "localhost") {
    throw new TypeError(`a file: URL with a host cannot be a local path: ${u.href}`);
  }
  if (/%2f/i.test(u.pathname)) {
    throw new TypeError(`a file: URL path must not have an encoded '/': ${u.href}`);
  }
  return decodeURIComponent(u.pathname);
}

/** The same functions as one object (for code written against `path.posix`). */
/** A `scheme://` location (a URL dependency or output), not a workspace path. */
export function isUrl(p: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(p);
}

export const posix = { sep, isAbsolute, normalize, join, resolve, relative, dirname, basename };
