/** What the `push`, `fetch` and `pull` commands share: flags, options, DVC's reports and failures. */
import type { Command } from "../argparse.ts";
import type { SyncOptions, SyncResult } from "../../repo/_sync.ts";
import type { Repo } from "../../repo/repo.ts";
import { CairnError, UsageError } from "../../errors.ts";
import { describeCorrupt } from "../../cache/corrupt.ts";
import { Progress } from "../progress.ts";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import type { Io } from "../io.ts";

export interface Opts {
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

export function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

export function syncOptions(o: Opts, progress: Progress): SyncOptions {
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

export function common(c: Command, verb: string): Command {
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

/**
 * DVC's warning for objects neither in the cache nor on the remote. push
 * (data_cloud) names each object's file; fetch/pull (the data index) give
 * only `md5: ...`, one line per object.
 */
export function reportMissing(io: Io, r: SyncResult, opts: { names?: boolean } = {}): void {
  if (!r.missing.length) return;
  const lines = opts.names === false
    ? [...new Set(r.missing.map((m) => `md5: ${m.md5}`))]
    : r.missing.flatMap((m) =>
      (m.paths.length ? m.paths : ["?"]).map((p) => `name: ${p}, md5: ${m.md5}`)
    );
  io.warn(
    `Some of the cache files do not exist neither locally nor on remote. Missing cache files:\n${
      lines.join("\n")
    }`,
  );
}

/** Corrupted objects, each named with where it was and what was done (never "missing"). */
export function reportCorrupt(io: Io, r: SyncResult, push: boolean): void {
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
export function corruptFails(r: SyncResult, push: boolean): boolean {
  return r.corrupt.some((c) => push || c.source === "remote");
}

export function failIfFailed(r: SyncResult, what: string, verb: string): void {
  if (!r.failed.length) return;
  const first = r.failed[0];
  throw new CairnError(
    `failed to ${what} - ${plural(r.failed.length, "file")} failed to ${verb}`,
    { hint: `first failure: ${first.md5}: ${first.error}` },
  );
}

/** Runs a transfer under a progress bar shown on a TTY only (quiet in pipes). */
export async function withProgress<T>(
  ctx: CliContext,
  label: string,
  transfer: (progress: Progress) => Promise<T>,
): Promise<T> {
  const progress = new Progress(label, { enabled: ctx.io.stderrIsTTY && !ctx.io.quiet });
  try {
    return await transfer(progress);
  } finally {
    progress.done();
  }
}

/**
 * `push` and `fetch`: one command shape; DVC's reports differ by direction.
 * `run` is the verb (each command module imports only its own).
 */
export function defineTransfer(
  program: Command,
  ctx: CliContext,
  spec: {
    name: "push" | "fetch";
    summary: string;
    run: (repo: Repo, targets: string[], opts: SyncOptions) => Promise<SyncResult>;
  },
): void {
  const push = spec.name === "push";
  defineCommand(
    program,
    ctx,
    spec.name,
    spec.summary,
    (c) => common(c, push ? "Push" : "Fetch"),
    async (targets: string[], o: Opts) => {
      const repo = repoFor(ctx);
      const r = await withProgress(
        ctx,
        push ? "Pushing" : "Fetching",
        (p) => spec.run(repo, targets, syncOptions(o, p)),
      );
      reportMissing(ctx.io, r, { names: push });
      reportCorrupt(ctx.io, r, push);
      if (push) failIfFailed(r, "push data to the cloud", "upload");
      else failIfFailed(r, "fetch data from the cloud", "download");
      const n = r.transferred + r.runCache;
      const corrupt = corruptFails(r, push);
      if (n) ctx.io.info(`${plural(n, "file")} ${push ? "pushed" : "fetched"}`);
      else if (push || !corrupt) ctx.io.info("Everything is up to date.");
      // DVC 3.64: objects missing everywhere fail a push; a fetch only warns of them
      // (only failed transfers and corrupted objects fail it)
      if (corrupt || (push && r.missing.length)) ctx.exitCode = 1;
    },
  );
}
