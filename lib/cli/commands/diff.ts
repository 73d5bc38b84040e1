import type { Command } from "../argparse.ts";
import { relative, resolve } from "node:path";
import { type CliContext, defineCommand, printJson, repoFor } from "../context.ts";
import { diff, type DiffResult } from "../../repo/diff.ts";
import { repoRelative } from "../../repo/repo.ts";

interface Opts {
  json?: boolean;
  md?: boolean;
  showHash?: boolean;
  hideMissing?: boolean;
  targets?: string[];
}

const GROUPS = [
  ["added", "Added"],
  ["deleted", "Deleted"],
  ["renamed", "Renamed"],
  ["modified", "Modified"],
  ["notInCache", "Not in cache"],
] as const;

function short(h?: string) {
  return (h ?? "").slice(0, 8);
}

export function renderDiffText(
  r: DiffResult,
  show: (p: string) => string,
  showHash: boolean,
): string {
  let out = "";
  const summary: string[] = [];
  for (const [key, title] of GROUPS) {
    const lines: string[] = [];
    let count = 0;
    if (key === "renamed") {
      for (const e of r.renamed) {
        count++;
        const h = showHash ? `${short(e.hash)}  ` : "";
        lines.push(`    ${h}${show(e.oldPath)} -> ${show(e.newPath)}`);
      }
    } else {
      for (const e of r[key]) {
        if (!e.path.endsWith("/")) count++;
        const h = !showHash
          ? ""
          : key === "modified"
          ? `${short(e.oldHash)}..${short(e.newHash)}  `
          : `${short(e.oldHash ?? e.newHash)}  `;
        lines.push(`    ${h}${show(e.path)}`);
      }
    }
    if (lines.length) out += `${title}:\n${lines.join("\n")}\n\n`;
    if (count) summary.push(`${count} ${title.toLowerCase()}`);
  }
  if (!out) return "";
  return out + `files summary: ${summary.join(", ")}`;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "diff",
    "Show added, modified, or deleted data between commits in the DVC repository, or between a commit and the workspace.",
    (c) =>
      c.argument("[a_rev]", "Old Git commit to compare (defaults to HEAD)", "HEAD")
        .argument("[b_rev]", "New Git commit to compare (defaults to the current workspace)")
        .option("--targets <paths...>", "Specific DVC-tracked files to compare.")
        .option("--json", "Show output in JSON format.")
        .option("--md", "Show tabulated output in the Markdown format (GFM).")
        .option("--show-hash", "Display hash value for each entry.")
        .option("--hide-missing", "Hide missing cache file status."),
    async (aRev: string, bRev: string | undefined, o: Opts) => {
      const repo = repoFor(ctx);
      const targets = o.targets?.map((t) =>
        repoRelative(repo, resolve(ctx.cwd, t)).replace(/\/$/, "")
      );
      const r = await diff(repo, aRev, bRev, { targets });
      if (o.hideMissing) r.notInCache = [];
      const show = (p: string) => {
        const dir = p.endsWith("/");
        const rel = relative(ctx.cwd, resolve(repo.root, p)) || ".";
        return dir ? rel + "/" : rel;
      };
      if (o.json) {
        const entry = (e: { path: string; oldHash?: string; newHash?: string }, kind: string) => {
          const x: Record<string, unknown> = { path: show(e.path) };
          if (o.showHash) {
            x.hash = kind === "modified"
              ? { old: e.oldHash, new: e.newHash }
              : e.oldHash ?? e.newHash;
          }
          return x;
        };
        const out: Record<string, unknown> = {
          added: r.added.map((e) => entry(e, "added")),
          deleted: r.deleted.map((e) => entry(e, "deleted")),
          modified: r.modified.map((e) => entry(e, "modified")),
          renamed: r.renamed.map((e) => ({
            path: { old: show(e.oldPath), new: show(e.newPath) },
            ...(o.showHash ? { hash: e.hash } : {}),
          })),
          "not in cache": r.notInCache.map((e) => entry(e, "not in cache")),
        };
        // DVC drops the key between two revisions and with --hide-missing
        if (bRev !== undefined || o.hideMissing) delete out["not in cache"];
        return printJson(ctx, out);
      }
      if (o.md) {
        const rows: string[][] = [];
        for (const e of r.added) rows.push(["added", show(e.path)]);
        for (const e of r.deleted) rows.push(["deleted", show(e.path)]);
        for (const e of r.renamed) {
          rows.push(["renamed", `${show(e.oldPath)} -> ${show(e.newPath)}`]);
        }
        for (const e of r.modified) rows.push(["modified", show(e.path)]);
        for (const e of r.notInCache) rows.push(["not in cache", show(e.path)]);
        const w0 = Math.max(6, ...rows.map((x) => x[0].length));
        const w1 = Math.max(4, ...rows.map((x) => x[1].length));
        const line = (a: string, b: string) => `| ${a.padEnd(w0)} | ${b.padEnd(w1)} |`;
        ctx.io.out(
          [
            line("Status", "Path"),
            `|${"-".repeat(w0 + 2)}|${"-".repeat(w1 + 2)}|`,
            ...rows.map((x) => line(x[0], x[1])),
          ]
            .join("\n") + "\n",
        );
        return;
      }
      const text = renderDiffText(r, show, !!o.showHash);
      if (text) ctx.io.out(text);
    },
  );
}
