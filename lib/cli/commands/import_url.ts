/** `import-url URL [OUT]`: track a file or directory at a URL. */
import type { Command } from "../argparse.ts";
import { relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { gitAddHint } from "../render/git_hint.ts";
import { parseFsConfig } from "./_fs_config.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "import-url",
    "Download or copy file from URL and take it under DVC control.",
    (c) =>
      c.argument("<url>", "Location of the data to download (path, http(s)://, s3://, ssh://...)")
        .argument("[out]", "Destination path to put files to.")
        .option("--no-exec", "Only create .dvc file without actually importing target data.")
        .option("--no-download", "Create .dvc file including target data hash value(s)")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--fs-config <key=value...>", "Config options for the target url."),
    async (
      url: string,
      out: string | undefined,
      o: { exec: boolean; download: boolean; force?: boolean; fsConfig?: string[] },
    ) => {
      const { importUrl } = await import("../../repo/import_url.ts");
      const repo = repoFor(ctx);
      const r = await importUrl(repo, url, {
        out,
        noExec: !o.exec,
        noDownload: !o.download,
        force: o.force,
        fsConfig: parseFsConfig(o.fsConfig),
      });
      ctx.io.info(`Importing '${url}' -> '${relative(repo.cwd, repo.root + "/" + r.path)}'`);
      if (!r.autostaged && r.gitFiles.length && repo.scmRoot) {
        ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
      }
    },
  );
}
