import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { gc, type GcOptions, hasScope } from "../../repo/gc.ts";
import { CairnError, UsageError } from "../../errors.ts";
import { gcCloud } from "../../repo/gc_cloud.ts";

interface Opts {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  allExperiments?: boolean;
  rev?: string[];
  numCommits?: string;
  force?: boolean;
  dry?: boolean;
  cloud?: boolean;
  remote?: string;
  json?: boolean;
  jobs?: string;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "gc",
    "Garbage collect unused objects from cache or remote storage.",
    (c) =>
      c.option("-w, --workspace", "Keep data files used in the current workspace.")
        .option("-a, --all-branches", "Keep data files for the tips of all Git branches.")
        .option("-T, --all-tags", "Keep data files for all Git tags.")
        .option("-A, --all-commits", "Keep data files for all Git commits.")
        .option("--all-experiments", "Keep data files for all experiments.")
        .option("--rev <commit...>", "Keep data files used in the specified <commit>.")
        .option(
          "-n, --num <num>",
          "Keep data files used in the last `num` commits starting from --rev.",
        )
        .option("-c, --cloud", "Collect garbage in remote storage in addition to local cache.")
        .option("-r, --remote <name>", "Remote storage to collect garbage in.")
        .option("-f, --force", "Force garbage collection - automatically agree to all prompts.")
        .option("-j, --jobs <n>", "Number of jobs to run simultaneously.")
        .option("--dry", "Only print what would get removed without actually removing.")
        .option("--json", "Print the removed objects as JSON."),
    async (o: Opts) => {
      const repo = repoFor(ctx);
      const opts: GcOptions = {
        workspace: o.workspace,
        allBranches: o.allBranches,
        allTags: o.allTags,
        allCommits: o.allCommits,
        allExperiments: o.allExperiments,
        revs: o.rev,
        numCommits: o.numCommits ? Number(o.numCommits) : undefined,
        dryRun: o.dry,
        force: o.force,
      };
      if (!hasScope(opts)) {
        throw new UsageError(
          "Either of `-w|--workspace`, `-a|--all-branches`, `-T|--all-tags` `--all-experiments`, `--all-commits` or `--rev` needs to be set.",
        );
      }
      if (!o.force && !o.dry) {
        if (!ctx.io.stdinIsTTY) {
          throw new CairnError(
            "This will remove all cache except items used in the workspace of the current repo. Use `-f` to confirm without a prompt.",
          );
        }
        const ok = confirm(
          "This will remove all cache except items used in the workspace of the current repo.\nAre you sure you want to proceed?",
        );
        if (!ok) return;
      }
      const r = await gc(repo, opts);
      if (o.json) return printJson(ctx, r);
      if (r.dryRun) {
        for (const x of r.removed) {
          ctx.io.info(
            `Would remove ${x.legacy ? "" : "files/md5/"}${x.md5.slice(0, 2)}/${x.md5.slice(2)}`,
          );
        }
        ctx.io.info(`${r.removed.length} objects would be removed from repo cache.`);
      } else if (r.removed.length) {
        ctx.io.info(`Removed ${r.removed.length} objects from repo cache.`);
      } else {
        ctx.io.info("No unused 'local' cache to remove.");
      }
      if (o.cloud || o.remote) {
        // Remote side (lib/repo/gc_cloud.ts): same kept set, objects deleted on the remote.
        const c = await gcCloud(repo, {
          ...opts,
          remote: o.remote,
          dryRun: o.dry,
          jobs: o.jobs ? Number(o.jobs) : undefined,
        });
        if (o.dry) {
          ctx.io.info(`${c.removed.length} objects would be removed from remote '${c.remote}'.`);
        } else if (c.removed.length) {
          ctx.io.info(`Removed ${c.removed.length} objects from remote '${c.remote}'.`);
        } else ctx.io.info(`No unused cache to remove from remote '${c.remote}'.`);
        if (c.failed.length) {
          throw new CairnError(`failed to remove ${c.failed.length} objects from the remote`, {
            hint: c.failed[0].error,
          });
        }
      }
    },
  );
}
