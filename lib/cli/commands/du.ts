/** `du`: disk usage of a repository path (DVC's table: size, two spaces, path). */
import type { Command } from "../argparse.ts";
import { resolve } from "node:path";
import { type CliContext, defineCommand } from "../context.ts";
import { displayWidth } from "../../py/table.ts";

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

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
      const { du, naturalSize } = await import("../../repo/du.ts");
      const { repoForUrl } = await import("../../repo/ls.ts");
      const { openRepo } = await import("../../repo/repo.ts");
      // as `dvc du`: a local repository (read at --rev), or a git URL cloned at --rev
      const local = resolve(ctx.cwd, url);
      const isLocal = isDirectory(local);
      const { repo, cleanup } = isLocal
        ? { repo: openRepo(local), cleanup: () => {} }
        : repoForUrl(url, ctx.cwd, o.rev);
      let rows: string[][];
      try {
        rows = du(repo, path ?? "", { rev: isLocal ? o.rev : undefined, summarize: o.summarize })
          .map(([p, size]) => [naturalSize(size), p]);
      } finally {
        cleanup();
      }
      const width = Math.max(...rows.map(([s]) => displayWidth(s)));
      ctx.io.out(
        rows.map(([s, p]) => (s + " ".repeat(width - displayWidth(s)) + "  " + p).trimEnd())
          .join("\n"),
      );
    },
  );
}
