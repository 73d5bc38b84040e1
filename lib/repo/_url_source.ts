/**
 * The source side of `import-url`/`get-url`/`update` of a URL: local files and
 * directories are copied, other URLs read through the remote plugin of their
 * scheme (HTTP's ETag kept as DVC's `checksum`).
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CairnError, UsageError } from "../errors.ts";
import { hashPath } from "../hash/hash_path.ts";
import { openRemote } from "../plugin/remote.ts";
import type { HashInfo, Stage } from "../stage/types.ts";
import { copyTree, pathExists, removePath } from "./_import_source.ts";

export function isRemoteUrl(url: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(url) && !url.startsWith("file://");
}

export function localUrlPath(url: string, cwd: string): string {
  return url.startsWith("file://") ? fileURLToPath(url) : resolve(cwd, url);
}

/** The source's checksum as DVC records it on the dep (md5/size for files, `checksum` for HTTP). */
export interface UrlSource {
  hash: HashInfo;
  extra?: Record<string, unknown>;
}

/** HTTP's `checksum` is the ETag header, as DVC's http filesystem reports it. */
async function httpChecksum(url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const res = await fetch(url, { method: "HEAD" });
    await res.body?.cancel();
    const etag = res.headers.get("etag");
    return etag ? { checksum: etag } : undefined;
  } catch {
    return undefined; // a probe: no answer means no checksum recorded, as DVC's
  }
}

/**
 * Download `url` to `dest` (a path that must not exist yet): local files and
 * directories are copied, other URLs fetched by the remote plugin of their
 * scheme. Returns the source's checksum.
 */
export async function downloadUrl(
  url: string,
  cwd: string,
  dest: string,
  fsConfig: Record<string, string> = {},
): Promise<UrlSource> {
  if (!isRemoteUrl(url)) {
    const src = localUrlPath(url, cwd);
    if (!pathExists(src)) {
      throw new CairnError(`dependency '${url}' does not exist`, { hint: "check the path or URL" });
    }
    copyTree(src, dest);
    return { hash: (await hashPath(src, {})).hash };
  }
  const slash = url.lastIndexOf("/");
  const base = url.slice(0, slash);
  const key = decodeURIComponent(url.slice(slash + 1));
  if (!key || /^[a-zA-Z][a-zA-Z0-9+.-]*:\/?$/.test(base)) {
    throw new UsageError(`'${url}' does not name a file`);
  }
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-get-url-" });
  try {
    const remote = await openRemote({ ...fsConfig, url: base }, { name: base, cacheDir: tmp });
    try {
      const part = join(tmp, "download");
      const [r] = await remote.get([{ key, dest: part }]);
      if (!r.ok) {
        if (r.error.notFound) throw new CairnError(`'${url}' does not exist`);
        throw remote.itemError(r.error);
      }
      Deno.mkdirSync(dirname(dest), { recursive: true });
      copyTree(part, dest);
    } finally {
      await remote.close();
    }
  } finally {
    removePath(tmp);
  }
  const hash = (await hashPath(dest, {})).hash;
  const extra = url.startsWith("http") ? await httpChecksum(url) : undefined;
  return { hash, extra };
}

/** An `import-url` stage: frozen, one non-repo dep, one out, no command. */
export function isUrlImport(stage: Stage): boolean {
  return stage.kind === "dvcfile" && stage.cmd === undefined && stage.deps.length === 1 &&
    !stage.deps[0].repo && stage.outs.length === 1;
}
