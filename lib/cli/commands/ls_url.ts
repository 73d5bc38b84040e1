/** `list-url` / `ls-url`: DVC's listing of a location outside the repository. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson } from "../context.ts";
import { displayWidth } from "../../py/table.ts";
import { parseFsConfig } from "./_fs_config.ts";

interface Flags {
  recursive?: boolean;
  level?: string;
  size?: boolean;
  json?: boolean;
  fsConfig?: string[];
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "list-url",
    "List directory contents from URL.",
    (c) =>
      c.alias("ls-url")
        .argument("<url>", "Local path, file://, s3://, ssh://, webdav(s):// or http(s):// URL.")
        .option("-R, --recursive", "Recursively list files.")
        .option("-L, --level <depth>", "Limit the depth of recursion.")
        .option("--size", "Show sizes.")
        .option("--json", "Show output in JSON format (cairn only).")
        .option("--fs-config <name=value...>", "Config options for the target url."),
    async (url: string, o: Flags) => {
      const { lsUrl } = await import("../../repo/ls_url.ts");
      const { naturalSize } = await import("../../repo/du.ts");
      const entries = await lsUrl(url, {
        cwd: ctx.cwd,
        recursive: o.recursive,
        maxdepth: o.level === undefined ? undefined : Number(o.level),
        fsConfig: parseFsConfig(o.fsConfig),
      });
      if (o.json) return printJson(ctx, entries);
      if (!entries.length) return;
      if (!o.size) {
        ctx.io.out(entries.map((e) => e.path).join("\n"));
        return;
      }
      // DVC: sizes right-aligned, none for directories of size <= 0
      const sizes = entries.map((e) =>
        e.size === undefined || (e.isdir && e.size <= 0) ? "" : naturalSize(e.size)
      );
      const w = Math.max(...sizes.map(displayWidth));
      ctx.io.out(
        entries.map((e, i) => `${" ".repeat(w - displayWidth(sizes[i]))}${sizes[i]}  ${e.path}`)
          .join("\n"),
      );
    },
  );
}
