/** `push`, `fetch`, `pull`: data between the cache and remotes, with DVC's flags and messages. */
import type { Command } from "npm:commander@^15.1.0";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { push } from "../../repo/push.ts";
import { fetch } from "../../repo/fetch.ts";
import { pull, type PullResult } from "../../repo/pull.ts";
import type { SyncOptions, SyncResult } from "../../repo/_sync.ts";
import { CheckoutFailed } from "../../repo/checkout.ts";
import { CairnError, UsageError } from "../../errors.ts";
import { describeCorrupt } from "../../cache/corrupt.ts";
import { Progress } from "../progress.ts";
import { checkoutStats, renderCheckout, summaryLine } from "../render/checkout.ts";
import type { Io } from "../io.ts";

interface Opts {
  remote?: string;
  jobs?: string;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  withDeps?: boolean;
  recursive?: boolean;
  runCache?: boolean;
  glob?: boolean;
  rev?: string[];
  force?: boolean;
  allowMissing?: boolean;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function syncOptions(o: Opts, progress: Progress): SyncOptions {
  let jobs: number | undefined;
  if (o.jobs !== undefined) {
    jobs = Number(o.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError(`invalid jobs value '${o.jobs}'`);
  }
  return {
    remote: o.remote,
    jobs,
    allBranches: o.allBranches,
    allTags: o.allTags,
    allCommits: o.allCommits,
    revs: o.rev,
    withDeps: o.withDeps,
    recursive: o.recursive,
    glob: o.glob,
    runCache: o.runCache,
    onProgress: (_remote, p) => {
      if (p.phase === "transfer") {
        progress.update(p.filesDone, p.filesTotal, p.bytesDone, p.bytesTotal);
      }
    },
  };
}

function common(c: Command, verb: string): Command {
  return c.argument(
    "[targets...]",
    "Limit command scope to these tracked files/directories, .dvc files and stage names.",
  )
    .option("-r, --remote <name>", `Remote storage to ${verb}`)
    .option("-j, --jobs <n>", "Number of jobs to run simultaneously.")
    .option("-a, --all-branches", `${verb} cache for all branches.`)
    .option("-T, --all-tags", `${verb} cache for all tags.`)
    .option("-A, --all-commits", `${verb} cache for all commits.`)
    .option("--rev <commit...>", `${verb} cache for this revision.`)
    .option("-d, --with-deps", `${verb} cache for all dependencies of the specified target.`)
    .option("-R, --recursive", `${verb} cache for subdirectories of the specified directory.`)
    .option("--run-cache", `${verb} run history for all stages.`)
    .option("--glob", "Allows targets containing shell-style wildcards.");
}

function reportMissing(io: Io, r: SyncResult): void {
  if (!r.missing.length) return;
  const lines = r.missing.flatMap((m) =>
    (m.paths.length ? m.paths : ["?"]).map((p) => `name: ${p}, md5: ${m.md5}`)
  );
  io.warn(
    `Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n${
      lines.join("\n")
    }`,
  );
}

/** Corrupted objects, each named with where it was and what was done (never "missing"). */
function reportCorrupt(io: Io, r: SyncResult, push: boolean): void {
  // fetch replaces a corrupted local object unless the remote could not give a good one
  const notReplaced = new Set([
    ...r.corrupt.filter((c) => c.source === "remote").map((c) => c.md5),
    ...r.missing.map((m) => m.md5),
    ...r.failed.map((f) => f.md5),
  ]);
  for (const c of r.corrupt) {
    const then = c.source === "remote"
      ? ""
      : push
      ? "and not pushed"
      : notReplaced.has(c.md5)
      ? ""
      : "and fetched again";
    io.warn(describeCorrupt(c, then));
  }
}

/** Exit 1 when something was corrupted and not replaced (push: never sent; fetch: not downloaded). */
function corruptFails(r: SyncResult, push: boolean): boolean {
  return r.corrupt.some((c) => push || c.source === "remote");
}

function failIfFailed(r: SyncResult, what: string, verb: string): void {
  if (!r.failed.length) return;
  const first = r.failed[0];
  throw new CairnError(
    `failed to ${what} - ${plural(r.failed.length, "file")} failed to ${verb}`,
    { hint: `first failure: ${first.md5}: ${first.error}` },
  );
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "push",
    "Upload tracked files or directories to remote storage.",
    (c) => common(c, "Push"),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const progress = new Progress("Pushing", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      let r: SyncResult;
      try {
        r = await push(repo, targets, syncOptions(o, progress));
      } finally {
        progress.done();
      }
      reportMissing(ctx.io, r);
      reportCorrupt(ctx.io, r, true);
      failIfFailed(r, "push data to the cloud", "upload");
      const n = r.transferred + r.runCache;
      ctx.io.info(n ? `${plural(n, "file")} pushed` : "Everything is up to date.");
      if (r.missing.length || corruptFails(r, true)) ctx.exitCode = 1;
    },
  );
  defineCommand(
    program,
    ctx,
    "fetch",
    "Download files or directories from remote storage to the cache.",
    (c) => common(c, "Fetch"),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const progress = new Progress("Fetching", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      let r: SyncResult;
      try {
        r = await fetch(repo, targets, syncOptions(o, progress));
      } finally {
        progress.done();
      }
      reportMissing(ctx.io, r);
      reportCorrupt(ctx.io, r, false);
      failIfFailed(r, "fetch data from the cloud", "download");
      const n = r.transferred + r.runCache;
      if (n) ctx.io.info(`${plural(n, "file")} fetched`);
      else if (!corruptFails(r, false)) ctx.io.info("Everything is up to date.");
      if (r.missing.length || corruptFails(r, false)) ctx.exitCode = 1;
    },
  );
  defineCommand(
    program,
    ctx,
    "pull",
    "Download tracked files or directories from remote storage.",
    (c) =>
      common(c, "Pull")
        .option("-f, --force", "Do not prompt when removing working directory files.")
        .option(
          "--allow-missing",
          "Ignore errors if some of the files or directories are missing.",
        ),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const progress = new Progress("Pulling", { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
      let r: PullResult;
      try {
        r = await pull(repo, targets, {
          ...syncOptions(o, progress),
          force: o.force,
          allowMissing: o.allowMissing,
        });
      } catch (err) {
        progress.done();
        if (err instanceof CheckoutFailed) renderCheckout(ctx.io, err.summary, false);
        throw err;
      }
      progress.done();
      reportMissing(ctx.io, r);
      reportCorrupt(ctx.io, r, false);
      for (const c of r.checkout.corrupt ?? []) {
        ctx.io.warn(describeCorrupt(c, "and not checked out"));
      }
      renderCheckout(ctx.io, r.checkout, false);
      failIfFailed(r, "pull data from the cloud", "download");
      // DVC: fetched count first, then the checkout's file counts
      const stats = [["fetched", r.transferred + r.runCache] as [string, number]];
      ctx.io.info(
        summaryLine([...stats, ...checkoutStats(r.checkout)]) || "Everything is up to date.",
      );
      if ((r.missing.length || corruptFails(r, false)) && !o.allowMissing) ctx.exitCode = 1;
    },
  );
}
