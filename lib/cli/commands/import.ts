/** `import URL PATH` (dvc-spec §17): track a path of another repository. */
import type { Command } from "../argparse.ts";
import { relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { gitAddHint } from "../render/git_hint.ts";

interface ImportOpts {
  out?: string;
  remote?: string;
  rev?: string;
  exec: boolean;
  download: boolean;
  force?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "import",
    "Download file or directory tracked by DVC or by Git into the workspace, and track it.",
    (c) =>
      c.argument("<url>", "Location of DVC or Git repository to download from")
        .argument("<path>", "Path to a file or directory within the repository")
        .option("-o, --out <path>", "Destination path to download files to")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("--no-exec", "Only create .dvc file without actually importing target data.")
        .option("--no-download", "Create .dvc file including target data hash value(s)")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--remote <name>", "Remote of the source repository to download from."),
    async (url: string, path: string, o: ImportOpts) => {
      const { importRepo } = await import("../../repo/import.ts");
      const repo = repoFor(ctx);
      const r = await importRepo(repo, { url, path }, {
        out: o.out,
        rev: o.rev,
        noExec: !o.exec,
        noDownload: !o.download,
        force: o.force,
        remote: o.remote,
      });
      ctx.io.info(
        `Importing '${path} (${url})' -> '${relative(repo.cwd, repo.root + "/" + r.path)}'`,
      );
      if (!r.autostaged && r.gitFiles.length && repo.scmRoot) {
        ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
      }
    },
  );
}
