/** `install` (DVC's git hooks and merge driver) and `git-hook` (what they run). */
import type { Command } from "../argparse.ts";
import { join, resolve } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { findRoot } from "../../repo/repo.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "install",
    "Install DVC git hooks into the repository.",
    (c) =>
      c.option(
        "--use-pre-commit-tool",
        "Install DVC hooks using pre-commit (https://pre-commit.com) if it is installed.",
      ),
    async (o: { usePreCommitTool?: boolean }) => {
      const { installHooks, installMergeDriver, installPreCommitConfig } = await import(
        "../../repo/install.ts"
      );
      const repo = repoFor(ctx);
      // DVC registers the merge driver first, even when a hook then refuses
      installMergeDriver(repo);
      if (o.usePreCommitTool) installPreCommitConfig(repo);
      else installHooks(repo);
    },
  );
  // hidden from the command list, as DVC's: only git calls it
  const hook = program.command("git-hook", { hidden: true }).description("Run GIT hook.");
  const run = async (argv: string[]) => {
    // DVC: outside a DVC repository every hook is a no-op
    if (!findRoot(ctx.cwd)) return;
    const { main } = await import("../main.ts");
    ctx.exitCode = await main(argv, ctx.io, { cwd: ctx.cwd, handleSignals: false });
  };
  defineCommand(
    hook,
    ctx,
    "pre-commit",
    "Run pre-commit GIT hook.",
    (c) => c.argument("[args...]", "Arguments"),
    async () => await run(["status"]),
  );
  defineCommand(
    hook,
    ctx,
    "pre-push",
    "Run pre-push GIT hook.",
    (c) => c.argument("[args...]", "Arguments"),
    async () => await run(["push"]),
  );
  defineCommand(
    hook,
    ctx,
    "post-checkout",
    "Run post-checkout GIT hook.",
    (c) => c.argument("[args...]", "Arguments"),
    async (args: string[]) => {
      // only a checkout of a ref (flag 1), never in the middle of a rebase
      const flag = Deno.env.get("PRE_COMMIT_CHECKOUT_TYPE") ?? args[2];
      if (flag !== "1") return;
      const root = findRoot(ctx.cwd);
      try {
        if (root && Deno.statSync(join(root, ".git", "rebase-merge")).isDirectory) return;
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      await run(["checkout"]);
    },
  );
  defineCommand(
    hook,
    ctx,
    "merge-driver",
    "Run GIT merge driver.",
    (c) =>
      c.requiredOption("--ancestor <ancestor>", "Ancestor's version of the conflicting file.")
        .requiredOption("--our <our>", "Current version of the conflicting file.")
        .requiredOption("--their <their>", "Other branch's version of the conflicting file."),
    async (o: { ancestor: string; our: string; their: string }) => {
      // DVC: outside a DVC repository the driver does nothing (git keeps %A)
      if (!findRoot(ctx.cwd)) return;
      const { mergeDvcFiles } = await import("../../repo/merge_driver.ts");
      const abs = (p: string) => resolve(ctx.cwd, p);
      mergeDvcFiles(repoFor(ctx), {
        ancestor: abs(o.ancestor),
        our: abs(o.our),
        their: abs(o.their),
      });
    },
  );
}
