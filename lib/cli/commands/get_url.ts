/** `get-url URL [OUT]`: download a URL. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand } from "../context.ts";
import { parseFsConfig } from "./_fs_config.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "get-url",
    "Download or copy files from URL.",
    (c) =>
      c.argument("<url>", "See `cairn import-url -h` for supported URLs.")
        .argument("[out]", "Destination path to put data to.")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--fs-config <key=value...>", "Config options for the target url."),
    async (url: string, out: string | undefined, o: { force?: boolean; fsConfig?: string[] }) => {
      const { getUrl } = await import("../../repo/get_url.ts");
      await getUrl(ctx.cwd, url, { out, force: o.force, fsConfig: parseFsConfig(o.fsConfig) });
    },
  );
}
