/** `fetch`: download tracked data from remote storage into the cache. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { fetch } from "../../repo/fetch.ts";
import {
  common,
  corruptFails,
  failIfFailed,
  type Opts,
  plural,
  reportCorrupt,
  reportMissing,
  syncOptions,
  withProgress,
} from "./_sync.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "fetch",
    "Download files or directories from remote storage to the cache.",
    (c) => common(c, "Fetch"),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const r = await withProgress(ctx, "Fetching", (p) => fetch(repo, targets, syncOptions(o, p)));
      reportMissing(ctx.io, r, { names: false });
      reportCorrupt(ctx.io, r, false);
      failIfFailed(r, "fetch data from the cloud", "download");
      const n = r.transferred + r.runCache;
      if (n) ctx.io.info(`${plural(n, "file")} fetched`);
      else if (!corruptFails(r, false)) ctx.io.info("Everything is up to date.");
      // DVC 3.64: missing objects are a warning; only failed transfers fail the fetch
      if (corruptFails(r, false)) ctx.exitCode = 1;
    },
  );
}
