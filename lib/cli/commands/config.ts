import type { Command } from "../argparse.ts";
import { type CliContext, defineCommand, printJson } from "../context.ts";
import { configGet, configList, configSet, configUnset } from "../../repo/config_edit.ts";
import type { ConfigLevel } from "../../config/config.ts";
import { findRoot } from "../../repo/repo.ts";
import { UsageError } from "../../errors.ts";
import { join } from "node:path";

interface Opts {
  unset?: boolean;
  list?: boolean;
  json?: boolean;
  global?: boolean;
  system?: boolean;
  project?: boolean;
  local?: boolean;
  showOrigin?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  defineCommand(
    program,
    ctx,
    "config",
    "Get or set config options.",
    (c) =>
      c.argument(
        "[name]",
        "Option name (section.option or remote.name.option).",
      )
        .argument("[value]", "Option value.")
        .option("-u, --unset", "Unset option.")
        .option("-l, --list", "List all defined config values.")
        .option("--json", "Show output in JSON format (with --list).")
        .option("--global", "Use global config.")
        .option("--system", "Use system config.")
        .option("--project", "Use project config (.dvc/config).")
        .option("--local", "Use local config (.dvc/config.local).")
        .option(
          "--show-origin",
          "Show the source file containing each config value.",
        ),
    (name: string | undefined, value: string | undefined, o: Opts) => {
      const level: ConfigLevel | undefined = o.global
        ? "global"
        : o.system
        ? "system"
        : o.local
        ? "local"
        : o.project
        ? "repo"
        : undefined;
      const root = findRoot(ctx.cwd);
      const scope = {
        level,
        dvcDir: root ? join(root, ".dvc") : undefined,
        cwd: ctx.cwd,
      };
      if (o.list) {
        if (name) {
          throw new UsageError("-l/--list can't be used together with name");
        }
        const entries = configList(scope);
        if (o.json) {
          return printJson(
            ctx,
            Object.fromEntries(entries.map((e) => [e.name, e.value])),
          );
        }
        for (const e of entries) {
          ctx.io.out(
            o.showOrigin ? `${e.level}\t${e.name}=${e.value}` : `${e.name}=${e.value}`,
          );
        }
        return;
      }
      if (!name) throw new UsageError("name argument is required");
      if (o.unset) {
        if (value !== undefined) {
          throw new UsageError("value argument can't be used with --unset");
        }
        configUnset(name, scope);
      } else if (value === undefined) {
        ctx.io.out(configGet(name, scope));
      } else {
        configSet(name, value, scope);
      }
    },
  );
}
