/** `push`: upload tracked data to remote storage, with DVC's flags and messages. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { push } from "../../repo/push.ts";
import type { SyncResult } from "../../repo/_sync.ts";
import { Progress } from "../progress.ts";
import {
  common,
  corruptFails,
  failIfFailed,
  type Opts,
  plural,
  reportCorrupt,
  reportMissing,
  syncOptions,
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
      const progress = new Progress("Pushing", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      let r: SyncResult;
      try {
        r = await push(repo, targets, syncOptions(o, progress));
      } finally {
        progress.done();
      }
      reportMissing(ctx.io, r);
      reportCorrupt(ctx.io, r, true);
      failIfFailed(r, "push data to the cloud", "upload");
      const n = r.transferred + r.runCache;
      ctx.io.info(n ? `${plural(n, "file")} pushed` : "Everything is up to date.");
      if (r.missing.length || corruptFails(r, true)) ctx.exitCode = 1;
    },
  );
}
