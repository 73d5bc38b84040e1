/** remove, move, unprotect, destroy, ls, data status, check-ignore. */
import type { Command } from "../argparse.ts";
import { relative, resolve } from "node:path";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { destroy, move, remove, unprotect } from "../../repo/manage.ts";
import { ls, repoForUrl } from "../../repo/ls.ts";
import { type ChangeLists, dataStatus } from "../../repo/data_status.ts";
import { checkIgnore } from "../../repo/check_ignore.ts";
import { CairnError, UsageError } from "../../errors.ts";
import { gitAddHint } from "../render/git_hint.ts";

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "remove",
    "Remove stages from dvc.yaml and/or stop tracking files or directories.",
    (c) =>
      c.argument("<targets...>", ".dvc files or stages from dvc.yaml to remove.")
        .option("--outs", "Remove outputs as well."),
    async (targets: string[], o: { outs?: boolean }) => {
      const repo = repoFor(ctx);
      // DVC's remove prints nothing (no git hint, unlike add/move)
      await remove(repo, targets, { outs: o.outs });
    },
  );
  defineCommand(
    program,
    ctx,
    "move",
    "Rename or move a DVC controlled data file or a directory.",
    (c) =>
      c.argument("<src>", "Source path to a data file or directory.").argument(
        "<dst>",
        "Destination path.",
      ),
    async (src: string, dst: string) => {
      const repo = repoFor(ctx);
      const r = await move(repo, src, dst);
      if (repo.scmRoot) ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
    },
  );
  defineCommand(
    program,
    ctx,
    "unprotect",
    "Unprotect tracked files or directories (when hardlinks or symlinks have been enabled with `dvc config cache.type`)",
    (c) => c.argument("<targets...>", "Data files/directories to unprotect."),
    (targets: string[]) => {
      unprotect(repoFor(ctx), targets);
    },
  );
  defineCommand(
    program,
    ctx,
    "destroy",
    "Remove DVC files, local DVC config and data cache.",
    (c) => c.option("-f, --force", "Force destruction."),
    async (o: { force?: boolean }) => {
      const repo = repoFor(ctx);
      if (!o.force) {
        const msg =
          "This will destroy all information about your pipelines, all data files, as well as cache in .dvc/cache.";
        if (!ctx.io.stdinIsTTY) throw new CairnError(`${msg} Use \`-f\` to force.`);
        if (!confirm(`${msg}\nAre you sure you want to continue?`)) return;
      }
      await destroy(repo);
    },
  );
  defineCommand(
    program,
    ctx,
    "list",
    "List repository contents, including files and directories tracked by DVC and by Git.",
    (c) =>
      c.aliases(["ls"])
        .argument("<url>", "Location of DVC repository to list")
        .argument("[path]", "Path to a directory within the repository to list outputs for")
        .option("-R, --recursive", "Recursively list files.")
        .option("--dvc-only", "Show only DVC outputs.")
        .option("--json", "Show output in JSON format.")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("--size", "Show sizes.")
        .option("--show-hash", "Display hash value for each item."),
    async (
      url: string,
      path: string | undefined,
      o: {
        recursive?: boolean;
        dvcOnly?: boolean;
        json?: boolean;
        rev?: string;
        size?: boolean;
        showHash?: boolean;
      },
    ) => {
      const { repo, cleanup } = repoForUrl(url, ctx.cwd, o.rev);
      try {
        const entries = ls(repo, path ?? "", { recursive: o.recursive, dvcOnly: o.dvcOnly });
        if (o.json) return printJson(ctx, entries);
        const base = (path ?? "").replace(/^\.?\/?/, "").replace(/\/+$/, "");
        const shown = (e: (typeof entries)[number]) =>
          base ? e.path.slice(base.length + 1) : e.path;
        if (!o.size && !o.showHash) {
          for (const e of entries) ctx.io.out(shown(e));
          return;
        }
        // DVC's table: naturalsize right-aligned (blank for unknown sizes and empty
        // dirs), then the hash left-aligned ("-" for git files), then the name
        const { naturalSize } = await import("../../repo/du.ts");
        const sizes = entries.map((e) =>
          e.size === null || (e.isdir && e.size <= 0) ? "" : naturalSize(e.size)
        );
        const hashes = entries.map((e) => e.md5 ?? "-");
        const ws = Math.max(0, ...sizes.map((x) => x.length));
        const wh = Math.max(0, ...hashes.map((x) => x.length));
        entries.forEach((e, i) => {
          const cols = [
            ...(o.size ? [sizes[i].padStart(ws)] : []),
            ...(o.showHash ? [hashes[i].padEnd(wh)] : []),
            shown(e),
          ];
          ctx.io.out(cols.join("  "));
        });
      } finally {
        cleanup();
      }
    },
  );
  const data = program.command("data").description("Commands related to data management.");
  defineCommand(
    data,
    ctx,
    "status",
    "Show changes between the last git commit, the dvcfiles and the workspace.",
    (c) =>
      c.option("--json", "Show output in JSON format.")
        .option("--granular", "Show granular file-level info for DVC-tracked directories.")
        .option("--unchanged", "Show unmodified DVC-tracked files.")
        .option("--untracked-files", "Show untracked files.")
        .option("--not-in-remote", "Show files not in remote.")
        .option("--no-remote-refresh", "Use cached remote index (don't check remote)."),
    async (
      o: { json?: boolean; granular?: boolean; unchanged?: boolean; untrackedFiles?: boolean },
    ) => {
      const repo = repoFor(ctx);
      const s = await dataStatus(repo, {
        granular: o.granular,
        withUnchanged: o.unchanged,
        untrackedFiles: o.untrackedFiles,
      });
      const show = (p: string) => {
        const r = relative(ctx.cwd, resolve(repo.root, p)) || ".";
        return p.endsWith("/") ? r + "/" : r;
      };
      const mapLists = (l: ChangeLists) =>
        Object.fromEntries(
          (["added", "deleted", "modified", "unknown"] as const)
            .filter((k) => l[k]?.length)
            .map((k) => [k, l[k]!.map(show)]),
        );
      if (o.json) {
        const out: Record<string, unknown> = {};
        if (s.notInCache.length) out.not_in_cache = s.notInCache.map(show);
        if (Object.keys(s.committed).length) out.committed = mapLists(s.committed);
        if (Object.keys(s.uncommitted).length) out.uncommitted = mapLists(s.uncommitted);
        if (s.untracked.length) out.untracked = s.untracked.map(show);
        if (s.unchanged.length) out.unchanged = s.unchanged.map(show);
        if (s.noCommits) out.git = { is_empty: true };
        return printJson(ctx, out);
      }
      const blocks: string[] = [];
      // DVC's labels and hints (none for unchanged files)
      const section = (title: string, hints: string[], lines: string[]) => {
        if (lines.length) {
          blocks.push(
            [`${title}:`, ...hints.map((h) => `  (${h})`), ...lines.map((l) => `        ${l}`)]
              .join("\n"),
          );
        }
      };
      const kinds = (l: ChangeLists) =>
        (["added", "deleted", "modified", "unknown"] as const).flatMap((k) =>
          (l[k] ?? []).map((p) => `${k}: ${show(p)}`)
        );
      section(
        "Not in cache",
        ['use "cairn fetch <file>..." to download files'],
        s.notInCache.map(show),
      );
      section(
        "DVC committed changes",
        ["git commit the corresponding dvc files to update the repo"],
        kinds(s.committed),
      );
      section(
        "DVC uncommitted changes",
        [
          'use "cairn commit <file>..." to track changes',
          'use "cairn checkout <file>..." to discard changes',
        ],
        kinds(s.uncommitted),
      );
      section(
        "Untracked files",
        ['use "git add <file> ..." or "cairn add <file>..." to commit to git or to dvc'],
        s.untracked.map(show),
      );
      section("DVC unchanged files", [], s.unchanged.map(show));
      const lines = blocks.length
        ? [blocks.join("\n\n")]
        : [s.noCommits ? "No changes in an empty git repo." : "No changes."];
      if (s.gitDirty) {
        const other = blocks.length ? "other " : "";
        lines.push(`(there are ${other}changes not tracked by dvc, use "git status" to see)`);
      }
      ctx.io.out(lines.join("\n"));
    },
  );
  defineCommand(
    program,
    ctx,
    "check-ignore",
    "Check whether files or directories are excluded due to `.dvcignore`.",
    (c) =>
      c.argument("[targets...]", "File or directory paths to check")
        .option("-d, --details", "Show the exclude patterns along with each target path.")
        .option(
          "-a, --all",
          "Include the target paths which don't match any pattern in the `--details` list.",
        )
        .option(
          "-n, --non-matching",
          "Include the target paths which don't match any pattern in the `--details` list.",
        )
        .option("--stdin", "Read paths from standard input instead of providing `targets`."),
    async (
      targets: string[],
      o: { details?: boolean; all?: boolean; nonMatching?: boolean; stdin?: boolean },
    ) => {
      if (o.stdin) {
        const text = await new Response(Deno.stdin.readable).text();
        targets = text.split(/\r?\n/).filter(Boolean);
      }
      if (!targets.length) throw new UsageError("the following arguments are required: targets");
      const repo = repoFor(ctx);
      const matches = checkIgnore(repo, targets);
      let any = false;
      for (const m of matches) {
        if (m.ignored) any = true;
        if (!o.details) {
          if (m.ignored) ctx.io.out(m.path);
          continue;
        }
        if (m.ignored && m.source) {
          ctx.io.out(`${m.source.file}:${m.source.line}:${m.source.pattern}\t${m.path}`);
        } else if (m.ignored) ctx.io.out(`::\t${m.path}`);
        else if (o.nonMatching || o.all) ctx.io.out(`::\t${m.path}`);
      }
      if (!any) ctx.exitCode = 1;
    },
  );
}
