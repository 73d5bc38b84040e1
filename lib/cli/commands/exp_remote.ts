/** `exp push|pull <git_remote>` and `exp list <git_remote>`, worded as DVC prints them. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { ScmError, UsageError } from "../../errors.ts";

function collect(value: string, prev: string[]): string[] {
  return [...prev, value];
}

function intOpt(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new UsageError(`argument ${flag}: invalid int value: '${v}'`);
  }
  return n;
}

/** DVC's humanize.join: "a", "a and b", "a, b and c". */
function joinNames(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

interface SyncFlags {
  allCommits?: boolean;
  rev: string[];
  num?: string;
  force?: boolean;
  cache?: boolean;
  remote?: string;
  jobs?: string;
  runCache?: boolean;
}

function addSyncFlags(c: Command, verb: string): Command {
  return c.option("-A, --all-commits", `${verb} all experiments in the repository.`)
    .option("--rev <commit>", `${verb} experiments derived from the specified commit.`, collect, [])
    .option("-n, --num <num>", `${verb} experiments from the last 'num' commits (first parents).`)
    .option("-f, --force", "Replace experiment in the Git remote/repo if it already exists.")
    .option("--no-cache", "Do not transfer cached outputs to/from DVC remote storage.")
    .option("-r, --remote <name>", "Name of the DVC remote to use for cached outputs.")
    .option("-j, --jobs <number>", "Number of jobs to run simultaneously on the DVC remote.")
    .option("--run-cache", "Transfer run history for all stages.");
}

export function registerExpRemote(exp: Command, ctx: CliContext): void {
  defineCommand(
    exp,
    ctx,
    "push",
    "Push a local experiment to a Git remote (and its data to the DVC remote).",
    (c) =>
      addSyncFlags(
        c.argument("<git_remote>", "Git remote name or Git URL.")
          .argument("[experiment...]", "Experiments to push."),
        "Push",
      ),
    async (gitRemote: string, names: string[], o: SyncFlags) => {
      const repo = repoFor(ctx);
      const { selectLocalExps, pushExperimentRefs } = await import("../../repo/exp/remote.ts");
      const exps = selectLocalExps(repo, {
        names,
        allCommits: o.allCommits,
        revs: o.rev,
        num: intOpt(o.num, "-n/--num", 1),
      });
      const res = pushExperimentRefs(repo, gitRemote, exps, { force: o.force });
      if (res.diverged.length) {
        ctx.io.err(
          `Local experiment ${joinNames(res.diverged)} has diverged from remote experiment ` +
            "with the same name.\nTo override the remote experiment re-run with '--force'.",
        );
      }
      if (res.up_to_date.length) {
        const verb = res.up_to_date.length > 1 ? "are" : "is";
        ctx.io.out(
          `Experiment ${
            joinNames(res.up_to_date)
          } ${verb} up to date on Git remote '${gitRemote}'.`,
        );
      }
      if (res.success.length) {
        ctx.io.out(`Pushed experiment ${joinNames(res.success)} to Git remote '${gitRemote}'.`);
      }
      if (!res.up_to_date.length && !res.success.length) ctx.io.out("No experiments to push.");
      if (o.cache !== false && res.commits.length) {
        const { push } = await import("../../repo/push.ts");
        const r = await push(repo, [], {
          revs: res.commits,
          workspace: false,
          remote: o.remote,
          jobs: o.jobs ? intOpt(o.jobs, "-j/--jobs", 1) : undefined,
          runCache: o.runCache,
        });
        if (r.transferred) {
          ctx.io.out(`${r.transferred} file${r.transferred > 1 ? "s" : ""} uploaded`);
        }
        if (r.failed.length) {
          throw new UsageError(`failed to push cache: ${r.failed.length} object(s) failed`);
        }
      }
      if (o.cache === false) {
        ctx.io.out(
          "To push cached outputs for this experiment to DVC remote storage," +
            "re-run this command without '--no-cache'.",
        );
      }
      if (res.diverged.length) ctx.exitCode = 1;
    },
  );

  defineCommand(
    exp,
    ctx,
    "pull",
    "Pull an experiment from a Git remote (and its data from the DVC remote).",
    (c) =>
      addSyncFlags(
        c.argument("<git_remote>", "Git remote name or Git URL.")
          .argument("[experiment...]", "Experiments to pull."),
        "Pull",
      ),
    async (gitRemote: string, names: string[], o: SyncFlags) => {
      const repo = repoFor(ctx);
      const { selectRemoteExps, fetchExperimentRefs } = await import(
        "../../repo/exp/remote.ts"
      );
      const exps = selectRemoteExps(repo, gitRemote, {
        names,
        allCommits: o.allCommits,
        revs: o.rev,
        num: intOpt(o.num, "-n/--num", 1),
      });
      const pulled = fetchExperimentRefs(repo, gitRemote, exps, { force: o.force });
      if (pulled.length) {
        // DVC formats the Python list itself into the message
        const list = `[${pulled.map((n) => `'${n}'`).join(", ")}]`;
        ctx.io.out(`Pulled experiment '${list}' from Git remote '${gitRemote}'.`);
      } else ctx.io.out("No experiments to pull.");
      const fetched = exps.filter((e) => pulled.includes(e.name));
      if (o.cache !== false && fetched.length) {
        const { fetch } = await import("../../repo/fetch.ts");
        const r = await fetch(repo, [], {
          revs: fetched.map((e) => e.sha),
          workspace: false,
          remote: o.remote,
          jobs: o.jobs ? intOpt(o.jobs, "-j/--jobs", 1) : undefined,
          runCache: o.runCache,
        });
        if (r.failed.length) {
          throw new UsageError(`failed to pull cache: ${r.failed.length} object(s) failed`);
        }
      }
      if (o.cache === false) {
        ctx.io.out(
          "To pull cached outputs for this experimentfrom DVC remote storage," +
            "re-run this command without '--no-cache'.",
        );
      }
    },
  );
}

/** `exp list`'s flags. */
export interface ExpListFlags {
  allCommits?: boolean;
  rev: string[];
  num?: string;
  nameOnly?: boolean;
  namesOnly?: boolean;
  shaOnly?: boolean;
  json?: boolean;
}

/** `exp list [git_remote]`: local experiments, or those on a git remote. */
export async function expList(
  ctx: CliContext,
  gitRemote: string | undefined,
  o: ExpListFlags,
): Promise<void> {
  const repo = repoFor(ctx);
  if (o.shaOnly && gitRemote) throw new UsageError("--sha-only not supported with git_remote.");
  const sel = { allCommits: o.allCommits, revs: o.rev, num: intOpt(o.num, "-n/--num", 1) };
  const { selectLocalExps, selectRemoteExps } = await import("../../repo/exp/remote.ts");
  const { baselineName } = await import("../../repo/exp/show.ts");
  const exps = gitRemote ? selectRemoteExps(repo, gitRemote, sel) : selectLocalExps(repo, sel);
  const groups = new Map<string, { name: string; sha: string }[]>();
  for (const e of exps) groups.set(e.baseline, [...(groups.get(e.baseline) ?? []), e]);
  if (o.json) {
    printJson(
      ctx,
      Object.fromEntries(
        [...groups].map(([b, l]) => [b, l.map((e) => ({ name: e.name, rev: e.sha }))]),
      ),
    );
    return;
  }
  const lines: string[] = [];
  for (const [baseline, list] of groups) {
    if (o.nameOnly || o.namesOnly) lines.push(...list.map((e) => e.name));
    else if (o.shaOnly) lines.push(...list.map((e) => e.sha));
    else {
      let label = baseline.slice(0, 7);
      try {
        label = baselineName(repo, baseline) ?? label;
      } catch (err) {
        if (!(err instanceof ScmError)) throw err; // baseline not in this repo (remote exps)
      }
      lines.push(`${label}:`);
      for (const e of list) lines.push(`\t${e.sha.slice(0, 7)} [${e.name}]`);
    }
  }
  if (lines.length) ctx.io.out(lines.join("\n"));
}
