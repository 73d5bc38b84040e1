/** `get URL PATH`: download a path of another repository. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand } from "../context.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "get",
    "Download file or directory tracked by DVC or by Git.",
    (c) =>
      c.argument("<url>", "Location of DVC or Git repository to download from")
        .argument("<path>", "Path to a file or directory within the repository")
        .option("-o, --out <path>", "Destination path to download files to")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--remote <name>", "Remote of the source repository to download from."),
    async (
      url: string,
      path: string,
      o: { out?: string; rev?: string; force?: boolean; remote?: string },
    ) => {
      const { get } = await import("../../repo/get.ts");
      await get(ctx.cwd, { url, path }, {
        out: o.out,
        rev: o.rev,
        force: o.force,
        remote: o.remote,
      });
    },
  );
}
