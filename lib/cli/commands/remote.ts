/** `remote add/list/modify/remove/rename/default`, as `dvc remote`. */
import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand } from "../context.ts";
import { findRoot } from "../../repo/repo.ts";
import {
  remoteAdd,
  remoteDefault,
  remoteList,
  remoteModify,
  remoteRemove,
  remoteRename,
  type RemoteScope,
} from "../../repo/remote.ts";
import type { ConfigLevel } from "../../config/config.ts";
import { UsageError } from "../../errors.ts";
import { join } from "node:path";
import { richPlain } from "../render/rich.ts";

interface LevelOpts {
  global?: boolean;
  system?: boolean;
  project?: boolean;
  local?: boolean;
}

function scopeOf(ctx: CliContext, o: LevelOpts): RemoteScope {
  const picked = (["global", "system", "project", "local"] as const).filter((k) => o[k]);
  if (picked.length > 1) throw new UsageError("only one of --global, --system, --project, --local");
  const level: ConfigLevel | undefined = picked[0] === "project"
    ? "repo"
    : picked[0] as ConfigLevel | undefined;
  const root = findRoot(ctx.cwd);
  return { level, dvcDir: root ? join(root, ".dvc") : undefined, cwd: ctx.cwd };
}

function withLevels(c: Command): Command {
  return c.option("--global", "Use global config.")
    .option("--system", "Use system config.")
    .option("--project", "Use project config (.dvc/config).")
    .option("--local", "Use local config (.dvc/config.local).");
}

export function register(program: Command, ctx: CliContext): void {
  const remote = program.command("remote").description(
    "Set up and manage data remotes.",
  );
  defineCommand(
    remote,
    ctx,
    "add <name> <url>",
    "Add a new data remote.",
    (c) =>
      withLevels(c)
        .option("-d, --default", "Set as default remote.")
        .option("-f, --force", "Force overwriting existing configs"),
    (name: string, url: string, o: LevelOpts & { default?: boolean; force?: boolean }) => {
      if (o.default) ctx.io.info(`Setting '${name}' as a default remote.`);
      remoteAdd(name, url, scopeOf(ctx, o), { default: o.default, force: o.force });
    },
  );
  defineCommand(
    remote,
    ctx,
    "list",
    "List all available data remotes.",
    (c) => withLevels(c),
    (o: LevelOpts) => {
      const scope = scopeOf(ctx, o);
      const dflt = remoteDefault(undefined, scope);
      // DVC writes `name<TAB>url[<TAB>(default)]` through rich, which expands the tabs
      const lines = remoteList(scope).map((r) =>
        richPlain(`${r.name}\t${r.url}${r.name === dflt ? "\t(default)" : ""}`)
      );
      if (lines.length) ctx.io.out(lines.join("\n"));
    },
  );
  defineCommand(
    remote,
    ctx,
    "modify <name> <option> [value]",
    "Modify the configuration of a data remote.",
    (c) => withLevels(c).option("-u, --unset", "Unset option."),
    (
      name: string,
      option: string,
      value: string | undefined,
      o: LevelOpts & { unset?: boolean },
    ) => {
      remoteModify(name, option, value, { ...scopeOf(ctx, o), unset: o.unset });
    },
  );
  defineCommand(
    remote,
    ctx,
    "remove <name>",
    "Remove a data remote.",
    (c) => withLevels(c),
    (name: string, o: LevelOpts) => remoteRemove(name, scopeOf(ctx, o)),
  );
  defineCommand(
    remote,
    ctx,
    "rename <name> <new>",
    "Rename a DVC remote",
    (c) => withLevels(c),
    (name: string, newName: string, o: LevelOpts) => remoteRename(name, newName, scopeOf(ctx, o)),
  );
  defineCommand(
    remote,
    ctx,
    "default [name]",
    "Set/unset the default data remote.",
    (c) => withLevels(c).option("-u, --unset", "Unset default remote."),
    (name: string | undefined, o: LevelOpts & { unset?: boolean }) => {
      const r = remoteDefault(name, { ...scopeOf(ctx, o), unset: o.unset });
      if (name === undefined && !o.unset) {
        if (r) ctx.io.out(r);
        else {
          ctx.io.out("No default remote set");
          ctx.exitCode = 1;
        }
      }
    },
  );
}
