/** What every command handler gets: terminal io and the user's directory. */
import { type Command, Option } from "npm:commander@^15.1.0";
import type { Io } from "./io.ts";
import { pyJsonDumps } from "../py/json_dumps.ts";
import { openRepo, type Repo } from "../repo/repo.ts";

export interface CliContext {
  io: Io;
  /** the directory commands act from (after `--cd`). */
  cwd: string;
  /** set by a handler that wants a non-zero exit without throwing. */
  exitCode: number;
}

export interface CommonOptions {
  quiet?: boolean;
  verbose?: boolean;
  cd?: string;
}

/** Add DVC's per-command global flags (-q, -v, --cd) to a command. */
export function withCommon(cmd: Command): Command {
  return cmd
    .addOption(new Option("-q, --quiet", "Be quiet."))
    .addOption(new Option("-v, --verbose", "Be verbose."))
    .addOption(
      new Option("--cd <path>", "Change to directory before executing.")
        .hideHelp(),
    );
}

/** Apply -q/-v/--cd of a parsed command to the context. */
export function applyCommon(ctx: CliContext, opts: CommonOptions): void {
  if (opts.quiet) ctx.io.quiet = true;
  if (opts.verbose) ctx.io.verbose = true;
  if (opts.cd) {
    Deno.chdir(opts.cd);
    ctx.cwd = Deno.cwd();
  }
}

export function repoFor(ctx: CliContext): Repo {
  return openRepo(undefined, { cwd: ctx.cwd });
}

/** Print a value as JSON the way DVC does (Python json.dumps: indented on a TTY, one line in a pipe). */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.io.out(pyJsonDumps(value, { indent: ctx.io.stdoutIsTTY ? 2 : undefined }));
}

/**
 * Define a subcommand: common flags added, handler receives (args..., opts),
 * with -q/-v/--cd applied first.
 */
export function defineCommand(
  parent: Command,
  ctx: CliContext,
  nameAndArgs: string,
  description: string,
  build: (cmd: Command) => Command,
  // deno-lint-ignore no-explicit-any
  handler: (...args: any[]) => void | Promise<void>,
): Command {
  const cmd = withCommon(parent.command(nameAndArgs).description(description));
  build(cmd);
  // deno-lint-ignore no-explicit-any
  cmd.action(async (...args: any[]) => {
    const command = args.at(-1) as Command;
    const opts = command.opts() as CommonOptions;
    applyCommon(ctx, opts);
    await handler(...args.slice(0, -1));
  });
  return cmd;
}
