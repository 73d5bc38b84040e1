import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { checkout, CheckoutFailed } from "../../repo/checkout.ts";
import { renderCheckout } from "../render/checkout.ts";
import { describeCorrupt } from "../../cache/corrupt.ts";
import { Progress } from "../progress.ts";

interface Opts {
  summary?: boolean;
  force?: boolean;
  relink?: boolean;
  recursive?: boolean;
  withDeps?: boolean;
  allowMissing?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "checkout",
    "Checkout data files from cache.",
    (c) =>
      c.argument(
        "[targets...]",
        "Limit command scope to these tracked files/directories, .dvc files and stage names.",
      )
        .option("--summary", "Show summary of the changes.")
        .option("-d, --with-deps", "Checkout all dependencies of the specified target.")
        .option("-R, --recursive", "Checkout all subdirectories of the specified directory.")
        .option("-f, --force", "Do not prompt when removing working directory files.")
        .option("--relink", "Recreate links or copies from cache to workspace.")
        .option(
          "--allow-missing",
          "Ignore errors if some of the files or directories are missing.",
        ),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const progress = new Progress("Checkout", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      try {
        const s = await checkout(repo, targets, {
          force: o.force,
          relink: o.relink,
          recursive: o.recursive,
          withDeps: o.withDeps,
          allowMissing: o.allowMissing,
          onProgress: progress.update,
        });
        progress.done();
        // with --allow-missing a corrupted object does not fail checkout: still say so
        for (const c of s.corrupt ?? []) ctx.io.warn(describeCorrupt(c, "and not checked out"));
        renderCheckout(ctx.io, s, !!o.summary);
        if (o.relink) ctx.io.info("Relinked successfully");
      } catch (err) {
        progress.done();
        if (err instanceof CheckoutFailed) renderCheckout(ctx.io, err.summary, !!o.summary);
        throw err;
      }
    },
  );
}
