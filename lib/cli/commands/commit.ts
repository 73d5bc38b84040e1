import type { Command } from "../argparse.ts";
import { join, relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { commit } from "../../repo/commit.ts";
import { Progress } from "../progress.ts";

interface Opts {
  force?: boolean;
  withDeps?: boolean;
  recursive?: boolean;
  relink: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "commit",
    "Record changes to files or directories tracked by DVC by storing the current versions in the cache.",
    (c) =>
      c.argument(
        "[targets...]",
        "Limit command scope to these tracked files/directories, .dvc files and stage names.",
      )
        .option(
          "-f, --force",
          "Commit data even if hash values for dependencies or outputs did not change.",
        )
        .option("-d, --with-deps", "Commit all dependencies of the specified target.")
        .option("-R, --recursive", "Commit cache for subdirectories of the specified directory.")
        .option("--no-relink", "Don't recreate links from cache to workspace."),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const progress = new Progress("Committing", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      try {
        const r = await commit(repo, targets, {
          force: o.force,
          withDeps: o.withDeps,
          recursive: o.recursive,
          noRelink: !o.relink,
          onProgress: progress.update,
        });
        progress.done();
        for (const u of r.lockUpdates) {
          const shown = relative(ctx.cwd, join(repo.root, u.file)).split("\\").join("/");
          ctx.io.info(`${u.generated ? "Generating" : "Updating"} lock file '${shown}'`);
        }
      } finally {
        progress.done();
      }
    },
  );
}
