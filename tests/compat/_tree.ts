/** Small tree helpers shared by the cache layout compat tests. */

/** Every file below `dir` by relative path, with its bytes as latin1 text. */
export function files(dir: string, rel = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of Deno.readDirSync(dir)) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) { for (const [k, v] of files(`${dir}/${e.name}`, r)) out.set(k, v); }
    else out.set(r, new TextDecoder("latin1").decode(Deno.readFileSync(`${dir}/${e.name}`)));
  }
  return out;
}

/** Copy the tree `src` to `dst` (regular files and folders). */
export function copyTree(src: string, dst: string) {
  Deno.mkdirSync(dst, { recursive: true });
  for (const e of Deno.readDirSync(src)) {
    if (e.isDirectory) copyTree(`${src}/${e.name}`, `${dst}/${e.name}`);
    else Deno.copyFileSync(`${src}/${e.name}`, `${dst}/${e.name}`);
  }
}
