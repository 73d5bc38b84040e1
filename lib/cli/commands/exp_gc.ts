/** `exp gc` (DVC 2's flags and wording) and `exp clean`. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { CairnError } from "../../errors.ts";
import type { ExpGcOptions } from "../../repo/exp/gc.ts";

type GcFlags = ExpGcOptions & { force?: boolean };

async function confirm(question: string): Promise<boolean> {
  if (!Deno.stdin.isTerminal()) return false;
  Deno.stdout.writeSync(new TextEncoder().encode(`${question} [y/n] `));
  const buf = new Uint8Array(64);
  const n = await Deno.stdin.read(buf);
  const a = new TextDecoder().decode(buf.subarray(0, n ?? 0)).trim().toLowerCase();
  return a === "y" || a === "yes";
}

export function registerExpGc(exp: Command, ctx: CliContext): void {
  defineCommand(
    exp,
    ctx,
    "gc",
    "Garbage collect unneeded experiments (their data stays in the cache until 'cairn gc').",
    (c) =>
      c.option("-w, --workspace", "Keep experiments derived from the current workspace.")
        .option("-a, --all-branches", "Keep experiments derived from the tips of all Git branches.")
        .option("-T, --all-tags", "Keep experiments derived from all Git tags.")
        .option("-A, --all-commits", "Keep experiments derived from all Git commits.")
        .option("--date <YYYY-MM-DD>", "Keep experiments of commits made on or after this date.")
        .option("--queued", "Keep queued experiments (removed by default).")
        .option("-f, --force", "Force garbage collection - automatically agree to all prompts."),
    async (o: GcFlags) => {
      const repo = repoFor(ctx);
      const { expGc, expGcCandidates } = await import("../../repo/exp/gc.ts");
      expGcCandidates(repo, o); // flags checked before the prompt
      const kept = [
        o.workspace && "the current workspace",
        o.allBranches && "all Git branches",
        o.allTags && "all Git tags",
        o.allCommits && "all Git commits",
        o.date && `commits since ${o.date}`,
      ].filter(Boolean).join(" and ");
      const msg = `This will remove all experiments except those derived from ${kept} of the ` +
        `current repo.${o.queued ? "" : " Run queued experiments will be removed."}`;
      if (!o.force) {
        ctx.io.warn(msg);
        if (!(await confirm("Are you sure you want to proceed?"))) {
          throw new CairnError("cannot remove experiments without confirmation: use -f", {
            exitCode: 1,
          });
        }
      }
      const removed = await expGc(repo, o);
      ctx.io.out(removed ? `Removed ${removed} experiments.` : "No experiments to clear.");
    },
  );

  defineCommand(
    exp,
    ctx,
    "clean",
    "Cleanup experiments temporary internal files (stale temp workspaces, dead runs).",
    (c) => c,
    async () => {
      const repo = repoFor(ctx);
      const { cleanQueueState } = await import("../../repo/exp/run_queued.ts");
      const n = cleanQueueState(repo);
      if (n) ctx.io.info(`Removed ${n} stale temporary workspace(s).`);
    },
  );
}
