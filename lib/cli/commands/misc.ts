/** Small informational commands: version/doctor, root, cache dir. */
import type { Command } from "../argparse.ts";
import { relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { DVC_COMPAT_VERSION, VERSION } from "../../version.ts";
import { findRoot } from "../../repo/repo.ts";
import { UsageError } from "../../errors.ts";
import { configSet, configUnset } from "../../repo/config_edit.ts";
import { join } from "node:path";

function versionText(ctx: CliContext): string {
  const lines = [
    `cairn ${VERSION} (compatible with DVC ${DVC_COMPAT_VERSION})`,
    "---------------------------------",
    `Platform: Deno ${Deno.version.deno} on ${Deno.build.os}-${Deno.build.arch}`,
  ];
  const root = findRoot(ctx.cwd);
  if (root) {
    try {
      const repo = repoFor(ctx);
      lines.push(`Cache types: ${repo.config.cache.type ?? "reflink, copy"}`);
      lines.push(`Cache directory: ${repo.cacheDir}`);
      lines.push(`Repo: dvc${repo.scmRoot ? ", git" : ""}`);
    } catch { /* broken repo: still print the version */ }
  }
  return lines.join("\n");
}

export function register(program: Command, ctx: CliContext): void {
  for (const name of ["version", "doctor"]) {
    defineCommand(
      program,
      ctx,
      name,
      "Display the cairn version and system/environment information.",
      (c) => c,
      async () => {
        ctx.io.out(versionText(ctx));
        if (name === "doctor") {
          // whether the slurm runner can be used here (cairn only)
          const { slurmStatus, slurmStatusLine } = await import(
            "../../../plugins/runner_slurm/slurm.ts"
          );
          ctx.io.out(slurmStatusLine(await slurmStatus()));
          // which sandbox backend works here and what it guarantees (cairn only)
          const { sandboxReport } = await import("../../sandbox/backends.ts");
          const { sandboxDoctorText } = await import("../render/sandbox_doctor.ts");
          const { projectBackend } = await import("./_sandbox.ts");
          ctx.io.out(sandboxDoctorText(await sandboxReport(projectBackend(ctx) ?? "auto")));
        }
      },
    );
  }
  defineCommand(
    program,
    ctx,
    "root",
    "Return the relative path to the root of the DVC project.",
    (c) => c,
    () => {
      const repo = repoFor(ctx);
      ctx.io.out(relative(ctx.cwd, repo.root) || ".");
    },
  );
  const cache = program.command("cache").description("Manage cache settings.");
  defineCommand(
    cache,
    ctx,
    "dir",
    "Configure cache directory location.",
    (c) =>
      c.argument("[value]", "Path to cache directory.")
        .option("-u, --unset", "Unset option.")
        .option("--global").option("--system").option("--project").option(
          "--local",
        ),
    (
      value: string | undefined,
      o: {
        unset?: boolean;
        global?: boolean;
        system?: boolean;
        local?: boolean;
      },
    ) => {
      const root = findRoot(ctx.cwd);
      const level = o.global
        ? "global" as const
        : o.system
        ? "system" as const
        : o.local
        ? "local" as const
        : undefined;
      if (value === undefined && !o.unset) {
        const repo = repoFor(ctx);
        ctx.io.out(repo.cacheDir);
        return;
      }
      const scope = {
        level,
        dvcDir: root ? join(root, ".dvc") : undefined,
        cwd: ctx.cwd,
      };
      if (o.unset) return configUnset("cache.dir", scope);
      configSet("cache.dir", value!, scope);
    },
  );
  defineCommand(
    cache,
    ctx,
    "migrate",
    "Migrate cached files to the DVC 3.0 cache location.",
    (c) =>
      c.option(
        "--dvc-files",
        "Migrate entries in all existing DVC files in the repository to the DVC 3.0 format.",
      )
        .option("--dry", "Only print actions which would be taken without actually migrating."),
    async (o: { dvcFiles?: boolean; dry?: boolean }) => {
      if (o.dvcFiles) {
        throw new UsageError(
          "--dvc-files is not supported by cairn yet",
          "run `cairn cache migrate` alone; cairn and DVC 3 read 2.x entries of .dvc files and dvc.lock as they are",
        );
      }
      const { migrateCache } = await import("../../repo/cache_migrate.ts");
      const r = await migrateCache(repoFor(ctx), { dry: o.dry });
      ctx.io.out(
        o.dry
          ? `${r.found} files will be re-hashed and migrated to the DVC 3.0 cache location.`
          : `Migrated ${r.migrated} files to DVC 3.0 cache location.`,
      );
    },
  );
}
