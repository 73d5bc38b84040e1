/** `pull`: `fetch`, then check out what was fetched. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { pull, type PullResult } from "../../repo/pull.ts";
import { CheckoutFailed } from "../../repo/checkout.ts";
import { describeCorrupt } from "../../cache/corrupt.ts";
import { Progress } from "../progress.ts";
import { checkoutStats, renderCheckout, summaryLine } from "../render/checkout.ts";
import {
  common,
  corruptFails,
  failIfFailed,
  type Opts,
  reportCorrupt,
  reportMissing,
  syncOptions,
} from "./_sync.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "pull",
    "Download tracked files or directories from remote storage.",
    (c) =>
      common(c, "Pull")
        .option("-f, --force", "Do not prompt when removing working directory files.")
        .option(
          "--allow-missing",
          "Ignore errors if some of the files or directories are missing.",
        ),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const progress = new Progress("Pulling", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      let r: PullResult;
      try {
        r = await pull(repo, targets, {
          ...syncOptions(o, progress),
          force: o.force,
          allowMissing: o.allowMissing,
        });
      } catch (err) {
        progress.done();
        if (err instanceof CheckoutFailed) renderCheckout(ctx.io, err.summary, false);
        throw err;
      }
      progress.done();
      reportMissing(ctx.io, r, { names: false });
      reportCorrupt(ctx.io, r, false);
      for (const c of r.checkout.corrupt ?? []) {
        ctx.io.warn(describeCorrupt(c, "and not checked out"));
      }
      renderCheckout(ctx.io, r.checkout, false);
      failIfFailed(r, "pull data from the cloud", "download");
      // DVC: fetched count first, then the checkout's file counts
      const stats = [["fetched", r.transferred + r.runCache] as [string, number]];
      ctx.io.info(
        summaryLine([...stats, ...checkoutStats(r.checkout)]) || "Everything is up to date.",
      );
      // DVC 3.64: missing objects fail the pull only through the checkout they break
      if (corruptFails(r, false) && !o.allowMissing) ctx.exitCode = 1;
    },
  );
}
