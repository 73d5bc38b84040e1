import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand } from "../context.ts";
import { init } from "../../repo/init.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "init",
    "Initialize DVC in the current directory.",
    (c) =>
      c.option(
        "--no-scm",
        "Initiate DVC in directory that is not tracked by any SCM tool (e.g. Git).",
      )
        .option("-f, --force", "Overwrite existing '.dvc/' directory.")
        .option(
          "--subdir",
          "Necessary for running this command inside a subdirectory of a parent SCM repository.",
        ),
    (opts: { scm: boolean; force?: boolean; subdir?: boolean }) => {
      init(ctx.cwd, {
        noScm: !opts.scm,
        force: opts.force,
        subdir: opts.subdir,
      });
      // DVC's text (without its "What's next?" links to dvc.org)
      ctx.io.info("Initialized DVC repository.\n");
      if (opts.scm) ctx.io.info("\nYou can now commit the changes to git.\n");
    },
  );
}
