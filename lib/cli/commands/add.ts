import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { add } from "../../repo/add.ts";
import { Progress } from "../progress.ts";
import { gitAddHint } from "../render/git_hint.ts";

interface Opts {
  glob?: boolean;
  out?: string;
  commit: boolean;
  force?: boolean;
  desc?: string;
  label?: string[];
  type?: string;
  remote?: string;
  push: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "add",
    "Track data files or directories with DVC.",
    (c) =>
      c.argument("<targets...>", "Input files/directories to add.")
        .option("--glob", "Allows targets containing shell-style wildcards.")
        .option("-o, --out <path>", "Destination path to put files to.")
        .option("--no-commit", "Don't put files/directories into cache.")
        .option("-f, --force", "Override local file or folder if exists.")
        .option("--desc <text>", "User description of the data.")
        .option("--label <label...>", "Labels for the data.")
        .option("--type <type>", "Type of the data.")
        .option("-r, --remote <name>", "Remote storage to push this output to by default.")
        .option("--no-push", "Never push this output."),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const progress = new Progress("Adding", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      try {
        const r = await add(repo, targets, {
          glob: o.glob,
          out: o.out,
          noCommit: !o.commit,
          force: o.force,
          desc: o.desc,
          labels: o.label,
          type: o.type,
          remote: o.remote,
          push: o.push,
          onProgress: progress.update,
        });
        progress.done();
        if (!r.autostaged && r.gitFiles.length && repo.scmRoot) {
          ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
        }
      } finally {
        progress.done();
      }
    },
  );
}
