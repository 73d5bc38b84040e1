/** `du`: disk usage of a repository path (DVC's table: size, two spaces, path). */
import type { Command } from "../argparse.ts";
import { resolve } from "node:path";
import { type CliContext, defineCommand } from "../context.ts";
import { UsageError } from "../../errors.ts";
import { openRepo } from "../../repo/repo.ts";
import { displayWidth } from "../../py/table.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "du",
    "Show disk usage.",
    (c) =>
      c.argument("<url>", "Location of DVC repository")
        .argument("[path]", "Path to directory within the repository")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("-s, --summarize", "Show total disk usage."),
    async (url: string, path: string | undefined, o: { rev?: string; summarize?: boolean }) => {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url)) {
        throw new UsageError(
          `du of a remote repository ('${url}') is not supported`,
          "clone it and run `cairn du <clone>`",
        );
      }
      const { du, naturalSize } = await import("../../repo/du.ts");
      const repo = openRepo(resolve(ctx.cwd, url));
      const rows = du(repo, path ?? "", { rev: o.rev, summarize: o.summarize })
        .map(([p, size]) => [naturalSize(size), p]);
      const width = Math.max(...rows.map(([s]) => displayWidth(s)));
      ctx.io.out(
        rows.map(([s, p]) => (s + " ".repeat(width - displayWidth(s)) + "  " + p).trimEnd())
          .join("\n"),
      );
    },
  );
}
