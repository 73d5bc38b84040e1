/** POSIX path helpers for repo-relative paths ("" = repo root). */

/** Normalize `a/./b/../c` -> `a/c`; "" and "." -> "". Leading `..` are kept. */
export function normPath(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length && out[out.length - 1] !== "..") out.pop();
    else if (part === ".." && abs) continue;
    else out.push(part);
  }
  const s = out.join("/");
  return abs ? "/" + s : s;
}

/** Join repo-relative posix paths; an absolute later part wins. */
export function joinPath(...parts: string[]): string {
  let acc = "";
  for (const p of parts) {
    if (p.startsWith("/")) acc = p;
    else acc = acc === "" ? p : `${acc}/${p}`;
  }
  return normPath(acc);
}

export function dirName(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "" : p.slice(0, i);
}

/** `to` relative to `from` (both repo-relative, normalized); "." when equal. */
export function relPath(to: string, from: string): string {
  const a = normPath(from).split("/").filter(Boolean);
  const b = normPath(to).split("/").filter(Boolean);
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const up = a.slice(i).map(() => "..");
  const rel = [...up, ...b.slice(i)].join("/");
  return rel === "" ? "." : rel;
}
