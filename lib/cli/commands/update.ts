/** `update TARGETS`: move imports to their sources' current state. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "update",
    "Update data artifacts imported from other DVC repositories.",
    (c) =>
      c.argument("<targets...>", "Import stages (.dvc files) to update.")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("--no-download", "Update .dvc file hash value(s) but do not download the data")
        .option("-R, --recursive", "Update all stages in the specified directory."),
    async (targets: string[], o: { rev?: string; download: boolean; recursive?: boolean }) => {
      const { update } = await import("../../repo/update.ts");
      const repo = repoFor(ctx);
      const r = await update(repo, targets, {
        rev: o.rev,
        noDownload: !o.download,
        recursive: o.recursive,
      });
      for (const u of r) {
        if (!u.changed) ctx.io.info(`Stage '${u.dvcFile}' didn't change, skipping`);
      }
    },
  );
}
