/** `get-url URL [OUT]`: download a URL; nothing tracked or cached. */
import { basename, dirname, join, resolve } from "node:path";
import { PathExistsError } from "../errors.ts";
import { pathExists, removePath } from "./_import_source.ts";
import { downloadUrl } from "./_url_source.ts";

/** `get-url URL [OUT]`: download only. Returns the absolute output path. */
export async function getUrl(
  cwd: string,
  url: string,
  opts: { out?: string; force?: boolean; fsConfig?: Record<string, string> } = {},
): Promise<string> {
  const out = opts.out;
  const name = basename(url.replace(/\/+$/, "").replace(/^file:\/\//, ""));
  const abs = resolve(cwd, out ?? name);
  if (pathExists(abs) && !opts.force) {
    throw new PathExistsError(out ?? name, "choose another output path");
  }
  Deno.mkdirSync(dirname(abs), { recursive: true });
  const stagingDir = Deno.makeTempDirSync({ dir: dirname(abs), prefix: ".cairn-get-" });
  try {
    const staged = join(stagingDir, "data");
    await downloadUrl(url, cwd, staged, opts.fsConfig);
    removePath(abs);
    Deno.renameSync(staged, abs);
    return abs;
  } finally {
    removePath(stagingDir);
  }
}
