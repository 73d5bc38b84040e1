/** Small informational commands: version/doctor, root, cache dir. */
import type { Command } from "npm:commander@^15.1.0";
import { relative } from "node:path";
import { type CliContext, defineCommand, repoFor } from "../context.ts";
import { DVC_COMPAT_VERSION, VERSION } from "../../version.ts";
import { findRoot } from "../../repo/repo.ts";
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
      () => {
        ctx.io.out(versionText(ctx));
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
}
