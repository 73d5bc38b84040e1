/** `import`, `import-url`, `get`, `get-url`, `update` (dvc-spec §17). */
import type { Command } from "npm:commander@^15.1.0";
import { relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { gitAddHint } from "../render/git_hint.ts";
import { UsageError } from "../../errors.ts";

interface ImportOpts {
  out?: string;
  remote?: string;
  rev?: string;
  exec: boolean;
  download: boolean;
  force?: boolean;
}

function keyValues(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`--fs-config expects key=value, got '${kv}'`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "import",
    "Download file or directory tracked by DVC or by Git into the workspace, and track it.",
    (c) =>
      c.argument("<url>", "Location of DVC or Git repository to download from")
        .argument("<path>", "Path to a file or directory within the repository")
        .option("-o, --out <path>", "Destination path to download files to")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("--no-exec", "Only create .dvc file without actually importing target data.")
        .option("--no-download", "Create .dvc file including target data hash value(s)")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--remote <name>", "Remote of the source repository to download from."),
    async (url: string, path: string, o: ImportOpts) => {
      const { importRepo } = await import("../../repo/import.ts");
      const repo = repoFor(ctx);
      const r = await importRepo(repo, { url, path }, {
        out: o.out,
        rev: o.rev,
        noExec: !o.exec,
        noDownload: !o.download,
        force: o.force,
        remote: o.remote,
      });
      ctx.io.info(
        `Importing '${path} (${url})' -> '${relative(repo.cwd, repo.root + "/" + r.path)}'`,
      );
      if (!r.autostaged && r.gitFiles.length && repo.scmRoot) {
        ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
      }
    },
  );

  defineCommand(
    program,
    ctx,
    "get",
    "Download file or directory tracked by DVC or by Git.",
    (c) =>
      c.argument("<url>", "Location of DVC or Git repository to download from")
        .argument("<path>", "Path to a file or directory within the repository")
        .option("-o, --out <path>", "Destination path to download files to")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--remote <name>", "Remote of the source repository to download from."),
    async (
      url: string,
      path: string,
      o: { out?: string; rev?: string; force?: boolean; remote?: string },
    ) => {
      const { get } = await import("../../repo/get.ts");
      await get(ctx.cwd, { url, path }, {
        out: o.out,
        rev: o.rev,
        force: o.force,
        remote: o.remote,
      });
    },
  );

  defineCommand(
    program,
    ctx,
    "import-url",
    "Download or copy file from URL and take it under DVC control.",
    (c) =>
      c.argument("<url>", "Location of the data to download (path, http(s)://, s3://, ssh://...)")
        .argument("[out]", "Destination path to put files to.")
        .option("--no-exec", "Only create .dvc file without actually importing target data.")
        .option("--no-download", "Create .dvc file including target data hash value(s)")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--fs-config <key=value...>", "Config options for the target url."),
    async (
      url: string,
      out: string | undefined,
      o: { exec: boolean; download: boolean; force?: boolean; fsConfig?: string[] },
    ) => {
      const { importUrl } = await import("../../repo/import_url.ts");
      const repo = repoFor(ctx);
      const r = await importUrl(repo, url, {
        out,
        noExec: !o.exec,
        noDownload: !o.download,
        force: o.force,
        fsConfig: keyValues(o.fsConfig),
      });
      ctx.io.info(`Importing '${url}' -> '${relative(repo.cwd, repo.root + "/" + r.path)}'`);
      if (!r.autostaged && r.gitFiles.length && repo.scmRoot) {
        ctx.io.info(gitAddHint(repo.cwd, r.gitFiles));
      }
    },
  );

  defineCommand(
    program,
    ctx,
    "get-url",
    "Download or copy files from URL.",
    (c) =>
      c.argument("<url>", "See `cairn import-url -h` for supported URLs.")
        .argument("[out]", "Destination path to put data to.")
        .option("-f, --force", "Override destination file or folder if exists.")
        .option("--fs-config <key=value...>", "Config options for the target url."),
    async (url: string, out: string | undefined, o: { force?: boolean; fsConfig?: string[] }) => {
      const { getUrl } = await import("../../repo/get_url.ts");
      await getUrl(ctx.cwd, url, { out, force: o.force, fsConfig: keyValues(o.fsConfig) });
    },
  );

  defineCommand(
    program,
    ctx,
    "update",
    "Update data artifacts imported from other DVC repositories.",
    (c) =>
      c.argument("<targets...>", "Import stages (.dvc files) to update.")
        .option("--rev <commit>", "Git revision (e.g. SHA, branch, tag)")
        .option("--no-download", "Update .dvc file hash value(s) but do not download the data")
        .option("-R, --recursive", "Update all stages in the specified directory."),
    async (targets: string[], o: { rev?: string; download: boolean; recursive?: boolean }) => {
      const { update } = await import("../../repo/update.ts");
      const repo = repoFor(ctx);
      const r = await update(repo, targets, {
        rev: o.rev,
        noDownload: !o.download,
        recursive: o.recursive,
      });
      for (const u of r) {
        if (!u.changed) ctx.io.info(`Stage '${u.dvcFile}' didn't change, skipping`);
      }
    },
  );
}
