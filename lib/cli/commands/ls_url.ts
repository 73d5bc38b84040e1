/** `list-url` / `ls-url`: DVC's listing of a location outside the repository. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson } from "../context.ts";
import { displayWidth } from "../../py/table.ts";
import { parseFsConfig } from "./_fs_config.ts";
import { UsageError } from "../../errors.ts";
import type { UrlTreeNode } from "../../repo/ls_url.ts";

interface Flags {
  recursive?: boolean;
  tree?: boolean;
  level?: string;
  size?: boolean;
  json?: boolean;
  fsConfig?: string[];
}

/** `-L depth` as argparse's `type=int` reads it. */
function level(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*[-+]?\d+\s*$/.test(value)) {
    throw new UsageError(`argument -L/--level: invalid int value: '${value}'`);
  }
  return Number(value);
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
        .option("-T, --tree", "Recurse into directories as a tree.")
        .option("-L, --level <depth>", "Limit the depth of recursion.")
        .option("--size", "Show sizes.")
        .option("--json", "Show output in JSON format (cairn only).")
        .option("--fs-config <name=value...>", "Config options for the target url."),
    async (url: string, o: Flags) => {
      const { lsUrl, lsUrlTree } = await import("../../repo/ls_url.ts");
      const { naturalSize } = await import("../../repo/du.ts");
      const sizeOf = (e: { isdir: boolean; size?: number }) =>
        e.size === undefined || (e.isdir && e.size <= 0) ? "" : naturalSize(e.size);
      if (o.tree) {
        const tree = await lsUrlTree(url, {
          cwd: ctx.cwd,
          maxdepth: level(o.level),
          fsConfig: parseFsConfig(o.fsConfig),
        });
        if (o.json) return printJson(ctx, tree);
        // DVC's show_tree: box-drawing prefixes, sizes right-aligned in a first column
        const rows: [string, string][] = [];
        const walk = (n: UrlTreeNode, prefix: string, part: string, childPrefix: string) => {
          rows.push([sizeOf(n), prefix + part + n.name]);
          const kids = n.contents ?? [];
          kids.forEach((k, i) => {
            const last = i === kids.length - 1;
            walk(k, childPrefix, last ? "└── " : "├── ", childPrefix + (last ? "    " : "│   "));
          });
        };
        const top = tree.contents ?? [];
        rows.push([sizeOf(tree), tree.name]);
        top.forEach((k, i) => {
          const last = i === top.length - 1;
          walk(k, "", last ? "└── " : "├── ", last ? "    " : "│   ");
        });
        if (!o.size) return ctx.io.out(rows.map(([, t]) => t).join("\n"));
        const w = Math.max(...rows.map(([s]) => displayWidth(s)));
        ctx.io.out(
          rows.map(([s, t]) => `${" ".repeat(w - displayWidth(s))}${s}  ${t}`).join("\n"),
        );
        return;
      }
      const entries = await lsUrl(url, {
        cwd: ctx.cwd,
        recursive: o.recursive,
        maxdepth: level(o.level),
        fsConfig: parseFsConfig(o.fsConfig),
      });
      if (o.json) return printJson(ctx, entries);
      if (!entries.length) return;
      if (!o.size) {
        ctx.io.out(entries.map((e) => e.path).join("\n"));
        return;
      }
      // DVC: sizes right-aligned, none for directories of size <= 0
      const sizes = entries.map(sizeOf);
      const w = Math.max(...sizes.map(displayWidth));
      ctx.io.out(
        entries.map((e, i) => `${" ".repeat(w - displayWidth(sizes[i]))}${sizes[i]}  ${e.path}`)
          .join("\n"),
      );
    },
  );
}
