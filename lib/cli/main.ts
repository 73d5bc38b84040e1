/**
 * Entry of the command line: builds the commander program, runs the chosen
 * command and turns every error into DVC's exit code and message.
 */
import { Command, CommanderError } from "./argparse.ts";
import { CairnError, ExitCode } from "../errors.ts";
import { type Io, terminalIo } from "./io.ts";
import { changeDir, type CliContext } from "./context.ts";
import type { CommandModule } from "./commands/index.ts";
import { commandModulesFor } from "./command_map.ts";
import { DVC_COMPAT_VERSION } from "../version.ts";
import { hasInterruptHandlers, triggerInterrupt } from "../interrupt.ts";
import { traceMark, traceReport } from "../trace.ts";
import { answerUnknownCommands } from "./unknown_command.ts";
// registers the built-in plugins (remotes, runners) with lib/plugin
import "../../plugins/builtin.ts";

/** The program with `modules`' commands (main loads only those the command line needs). */
export function buildProgram(ctx: CliContext, modules: readonly CommandModule[]): Command {
  const program = new Command("cairn")
    .description(
      "Data versioning and reproducible pipelines, compatible with DVC.",
    )
    // clients of a `dvc` executable check this against DVC's versions (cairn's own: `cairn version`)
    .version(DVC_COMPAT_VERSION, "-V, --version", "Show program's version.")
    .option("-q, --quiet", "Be quiet.")
    .option("-v, --verbose", "Be verbose.")
    .option("--cd <path>", "Change to directory before executing.")
    .enablePositionalOptions()
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(`ERROR: ${s.replace(/^error: /, "")}`),
    });
  program.hook("preSubcommand", (cmd) => {
    const o = cmd.opts();
    if (o.quiet) ctx.io.quiet = true;
    if (o.verbose) ctx.io.verbose = true;
    if (o.cd) ctx.cwd = changeDir(ctx.cwd, o.cd);
  });
  for (const mod of modules) mod.register(program, ctx);
  answerUnknownCommands(program, ctx.io);
  // Subcommands inherit exit/output behaviour.
  const propagate = (c: Command) => {
    for (const sub of c.commands) {
      sub.exitOverride().configureOutput(program.configureOutput());
      propagate(sub);
    }
  };
  propagate(program);
  return program;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** How main() runs when it is not the whole process (tests, a host program). */
export interface MainOptions {
  /** the directory the command runs from (default: the process's cwd, which main never changes). */
  cwd?: string;
  /** own Ctrl-C: exit 252 on SIGINT (default true; off when main runs inside another program). */
  handleSignals?: boolean;
}

/** Run one command line; returns DVC's exit code. Output goes to `io` only. */
export async function main(
  argv: string[],
  io: Io = terminalIo(),
  opts: MainOptions = {},
): Promise<number> {
  traceMark("modules loaded");
  const cwd = opts.cwd === undefined ? Deno.cwd() : Deno.realPathSync(opts.cwd);
  const ctx: CliContext = { io, cwd, exitCode: 0 };
  // Ctrl-C: exit at once (every write is atomic) unless an operation
  // registered cleanup (e.g. stage processes to stop); then let it finish
  // within 5 s. A second Ctrl-C always exits.
  let interrupts = 0;
  const onSigint = () => {
    // Abort listeners (e.g. killing stage process groups) run synchronously here.
    triggerInterrupt();
    if (++interrupts > 1 || !hasInterruptHandlers()) {
      io.err("ERROR: interrupted by the user");
      Deno.exit(ExitCode.interrupted);
    }
    const timer = setTimeout(() => {
      io.err("ERROR: interrupted by the user");
      Deno.exit(ExitCode.interrupted);
    }, 5000);
    Deno.unrefTimer(timer);
  };
  let sigintInstalled = false;
  if (opts.handleSignals !== false) {
    try {
      Deno.addSignalListener("SIGINT", onSigint);
      sigintInstalled = true;
    } catch { /* not supported (e.g. Windows without console) */ }
  }
  try {
    const modules = await commandModulesFor(argv);
    traceMark("command modules loaded");
    const program = buildProgram(ctx, modules);
    traceMark("program built");
    if (argv.length === 0) {
      program.outputHelp();
      return ExitCode.usage;
    }
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === "commander.helpDisplayed" ||
        err.code === "commander.version" ||
        err.code === "commander.help"
      ) return 0;
      return ExitCode.usage;
    }
    if (err instanceof CairnError) {
      io.err(`ERROR: ${err.message}`);
      if (err.hint) io.err(err.hint);
      if (io.verbose && err.cause) {
        io.err(String((err.cause as Error)?.stack ?? err.cause));
      }
      return err.exitCode;
    }
    io.err(`ERROR: unexpected error - ${describe(err)}`);
    if (io.verbose && err instanceof Error && err.stack) io.err(err.stack);
    return ExitCode.other;
  } finally {
    if (sigintInstalled) Deno.removeSignalListener("SIGINT", onSigint);
    for (const line of traceReport()) io.err(line);
  }
}
