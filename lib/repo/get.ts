/** `get URL PATH`: download a path of another repository; nothing tracked or cached. */
import { basename, dirname, resolve } from "node:path";
import { PathExistsError } from "../errors.ts";
import {
  locate,
  materialize,
  normPath,
  openSource,
  pathExists,
  tempContext,
} from "./_import_source.ts";

/** `get URL PATH [-o OUT]`: download only; nothing tracked or cached. Returns the absolute output. */
export async function get(
  cwd: string,
  source: { url: string; path: string },
  opts: { out?: string; rev?: string; force?: boolean; remote?: string } = {},
): Promise<string> {
  const abs = resolve(cwd, opts.out ?? basename(normPath(source.path)));
  if (pathExists(abs) && !opts.force) {
    throw new PathExistsError(opts.out ?? basename(abs), "choose another path with -o");
  }
  const src = openSource(source.url, cwd, { rev: opts.rev, remote: opts.remote });
  const tmp = tempContext(dirname(abs));
  try {
    const item = locate(src, source.path);
    Deno.mkdirSync(dirname(abs), { recursive: true });
    await materialize(src, item, abs, tmp.ctx, { commit: false });
    return abs;
  } finally {
    tmp.cleanup();
    src.cleanup();
  }
}
