/** `push`: upload tracked data to remote storage, with DVC's flags and messages. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { push } from "../../repo/push.ts";
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
    "push",
    "Upload tracked files or directories to remote storage.",
    (c) => common(c, "Push"),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const r = await withProgress(ctx, "Pushing", (p) => push(repo, targets, syncOptions(o, p)));
      reportMissing(ctx.io, r);
      reportCorrupt(ctx.io, r, true);
      failIfFailed(r, "push data to the cloud", "upload");
      const n = r.transferred + r.runCache;
      ctx.io.info(n ? `${plural(n, "file")} pushed` : "Everything is up to date.");
      if (r.missing.length || corruptFails(r, true)) ctx.exitCode = 1;
    },
  );
}
