/** `status`: local status of stages and data (`-c/-r` remote status belongs to the data commands). */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { status, statusJson } from "../../repo/status.ts";
import { describeStage } from "../../repo/collect.ts";
import { pyJsonDumps } from "../../py/json_dumps.ts";
import { EMPTY_PROJECT, renderStatus, UP_TO_DATE } from "../render/status.ts";
import { describeCorrupt } from "../../cache/corrupt.ts";

interface Opts {
  cloud?: boolean;
  remote?: string;
  jobs?: string;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  json?: boolean;
  quiet?: boolean;
  withDeps?: boolean;
  recursive?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "status",
    "Show changed stages, compare local cache and a remote storage.",
    (c) =>
      c.argument(
        "[targets...]",
        "Limit command scope to these tracked files/directories, .dvc files and stage names.",
      )
        .option("--json", "Show status in JSON format.")
        .option("-d, --with-deps", "Check status for all dependencies of the specified target.")
        .option("-R, --recursive", "Show status of all stages in the specified directory.")
        .option("-c, --cloud", "Show status of a local cache compared to a remote repository.")
        .option("-r, --remote <name>", "Remote storage to compare local cache to.")
        .option("-j, --jobs <n>", "Number of jobs to run simultaneously (with -c).")
        .option(
          "-a, --all-branches",
          "Show status of a local cache compared to a remote for all branches.",
        )
        .option("-T, --all-tags", "Show status of a local cache compared to a remote for all tags.")
        .option(
          "-A, --all-commits",
          "Show status of a local cache compared to a remote for all commits.",
        ),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      if (o.cloud || o.remote) {
        // Remote status (spec §7.3): lib/repo/cloud_status.ts does the work (loaded
        // only here: it pulls in the remote plugins, slow to load for local status).
        const { cloudStatus } = await import("../../repo/cloud_status.ts");
        const r = await cloudStatus(repo, targets, {
          remote: o.remote,
          jobs: o.jobs ? Number(o.jobs) : undefined,
          allBranches: o.allBranches,
          allTags: o.allTags,
          allCommits: o.allCommits,
          withDeps: o.withDeps,
          recursive: o.recursive,
        });
        const entries = Object.entries(r.changes);
        for (const c of r.corrupt) ctx.io.warn(describeCorrupt(c));
        if (o.quiet || ctx.io.quiet) ctx.exitCode = entries.length ? 1 : 0;
        else if (o.json) {
          ctx.io.out(pyJsonDumps(r.changes, { indent: ctx.io.stdoutIsTTY ? 2 : undefined }));
        } else if (entries.length) {
          ctx.io.out(entries.map(([p, s]) => `\t${`${s}:`.padEnd(20)}${p}`).join("\n"));
        } else ctx.io.out(`Cache and remote '${r.remote}' are in sync.`);
        return;
      }
      const r = await status(repo, targets, { withDeps: o.withDeps, recursive: o.recursive });
      for (const f of r.frozen) {
        ctx.io.warn(
          `${
            describeStage(f)
          } is frozen. Its dependencies are not going to be shown in the status output.`,
        );
      }
      if (o.quiet || ctx.io.quiet) {
        ctx.exitCode = r.stages.length ? 1 : 0;
        return;
      }
      if (o.json) {
        ctx.io.out(pyJsonDumps(statusJson(r), { indent: ctx.io.stdoutIsTTY ? 2 : undefined }));
      } else if (r.stages.length) {
        ctx.io.out(renderStatus(r));
      } else {
        ctx.io.out(r.empty ? EMPTY_PROJECT : UP_TO_DATE);
      }
    },
  );
}
