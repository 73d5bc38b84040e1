/** Small informational commands: version/doctor, root, cache dir. */
import type { Command } from "../argparse.ts";
import { relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { DVC_COMPAT_VERSION, VERSION } from "../../version.ts";
import { findRoot } from "../../repo/repo.ts";
import { configSet, configUnset } from "../../repo/config_edit.ts";
import { join } from "node:path";
import { configBool } from "../../config/config.ts";
import { gitAddHint } from "../render/git_hint.ts";

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
    } catch { /* whatever is wrong with the repo, `version` still prints (that is its use) */ }
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
      const { migrateCache, migrateDvcFiles } = await import("../../repo/cache_migrate.ts");
      const repo = repoFor(ctx);
      const r = await migrateCache(repo, { dry: o.dry });
      ctx.io.out(
        o.dry
          ? `${r.found} files will be re-hashed and migrated to the DVC 3.0 cache location.\n`
          : `Migrated ${r.migrated} files to DVC 3.0 cache location.\n`,
      );
      if (!o.dvcFiles) return;
      const f = await migrateDvcFiles(repo, { dry: o.dry });
      if (!f.files.length) {
        ctx.io.out("No DVC files in the repo to migrate to the 3.0 format.\n");
      } else if (o.dry) {
        ctx.io.out("Entries in following DVC files will be migrated to the 3.0 format:\n");
        ctx.io.out(f.files.map((x) => `\t${x}`).join("\n") + "\n");
      } else {
        for (const m of f.messages) ctx.io.out(`${m}\n`);
        if (f.changed.length && repo.scmRoot && !configBool(repo.config.core.autostage)) {
          ctx.io.info(gitAddHint(repo.cwd, f.changed.map((x) => join(repo.root, x))));
        }
      }
    },
  );
}
