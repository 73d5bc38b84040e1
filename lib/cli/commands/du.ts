/** `du`: disk usage of a repository path (DVC's table: size, two spaces, path). */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand } from "../context.ts";
import { displayWidth } from "../../py/table.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "du",
    "Show disk usage.",
    (c) =>
      c.argument("<url>", "Location of DVC repository (a path or a git URL)")
        .argument("[path]", "Path to directory within the repository")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("-s, --summarize", "Show total disk usage."),
    async (url: string, path: string | undefined, o: { rev?: string; summarize?: boolean }) => {
      const { duOfUrl, naturalSize } = await import("../../repo/du.ts");
      const rows = duOfUrl(url, ctx.cwd, path ?? "", { rev: o.rev, summarize: o.summarize })
        .map(([p, size]) => [naturalSize(size), p]);
      const width = Math.max(...rows.map(([s]) => displayWidth(s)));
      ctx.io.out(
        rows.map(([s, p]) => (s + " ".repeat(width - displayWidth(s)) + "  " + p).trimEnd())
          .join("\n"),
      );
    },
  );
}
