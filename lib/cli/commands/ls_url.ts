/** `list-url` / `ls-url`: DVC's listing of a location outside the repository. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson } from "../context.ts";
import { displayWidth } from "../../py/table.ts";

interface Flags {
  recursive?: boolean;
  level?: string;
  size?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "list-url",
    "List directory contents from URL.",
    (c) =>
      c.alias("ls-url")
        .argument("<url>", "Local path or file:// URL (other schemes: use their tools).")
        .option("-R, --recursive", "Recursively list files.")
        .option("-L, --level <depth>", "Limit the depth of recursion.")
        .option("--size", "Show sizes.")
        .option("--json", "Show output in JSON format (cairn only)."),
    async (url: string, o: Flags) => {
      const { lsUrl } = await import("../../repo/ls_url.ts");
      const { naturalSize } = await import("../../repo/du.ts");
      const entries = lsUrl(url, {
        cwd: ctx.cwd,
        recursive: o.recursive,
        maxdepth: o.level === undefined ? undefined : Number(o.level),
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
