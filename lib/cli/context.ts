/** What every command handler gets: terminal io and the user's directory. */
import { type Command, Option } from "./argparse.ts";
import { resolve } from "../path.ts";
import type { Io } from "./io.ts";
import { pyJsonDumps } from "../py/json_dumps.ts";
import { openRepo, type Repo } from "../repo/repo.ts";
import { traceMark } from "../trace.ts";

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
  if (opts.cd) ctx.cwd = changeDir(ctx.cwd, opts.cd);
}

/**
 * `--cd PATH`: the directory commands act from, as the real path getcwd()
 * would give after a chdir. The process's own cwd is left alone, so main()
 * can run in-process next to other work (tests, a host program).
 */
export function changeDir(from: string, path: string): string {
  const abs = Deno.realPathSync(resolve(from, path));
  if (!Deno.statSync(abs).isDirectory) {
    throw new Deno.errors.NotADirectory(`Not a directory (os error 20): chdir '${path}'`);
  }
  return abs;
}

export function repoFor(ctx: CliContext): Repo {
  const r = openRepo(undefined, { cwd: ctx.cwd });
  traceMark("repo opened");
  return r;
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
