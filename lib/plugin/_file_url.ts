/**
 * file:// URL of an absolute path (what `import()` inside a Worker needs),
 * as node:url's pathToFileURL gives it on POSIX, without node:url (it would
 * load Deno's Node-compat layer on every run of a stage).
 */
import { resolve } from "../path.ts";

const ESCAPES: [string, string][] = [
  ["%", "%25"], // first: the pathname setter keeps a '%' as it is
  ["\\", "%5C"],
  ["\n", "%0A"],
  ["\r", "%0D"],
  ["\t", "%09"],
  ["[", "%5B"],
  ["]", "%5D"],
  ["^", "%5E"],
  ["|", "%7C"],
  ["~", "%7E"],
];

export function toFileUrl(path: string): string {
  const u = new URL("file://");
  // as pathToFileURL: resolved ("/a//b/./c" -> "/a/b/c"), a trailing slash kept
  let p = resolve(path);
  if (path.endsWith("/") && p !== "/") p += "/";
  for (const [c, e] of ESCAPES) p = p.replaceAll(c, e);
  u.pathname = p; // encodes the rest (space, '#', '?', non-ASCII, ...)
  return u.href;
}
