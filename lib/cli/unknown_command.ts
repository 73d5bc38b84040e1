/**
 * DVC's usage error for an unknown command (argparse's invalid choice,
 * exit 254), with the closest command names and where the help is.
 */
import { type Command, CommanderError } from "./argparse.ts";
import type { Io } from "./io.ts";

/** Optimal string alignment distance (edits, adjacent swaps count once). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** Names within a third of the word's length in edits (at least 1), closest first. */
export function closestNames(word: string, names: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const scored = names.map((n) => [n, distance(word, n)] as const)
    .filter(([n, s]) => s <= limit || (word.length >= 3 && n.startsWith(word)));
  const best = Math.min(...scored.map(([, s]) => s));
  return scored.filter(([, s]) => s === best).map(([n]) => n);
}

/** The lines printed to stderr for `cairn WORD` when WORD is not a command. */
export function unknownCommandText(program: Command, word: string): string {
  const names = program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  const lines = [
    `ERROR: argument command: invalid choice: '${word}' (choose from ${
      names.map((n) => `'${n}'`).join(", ")
    })`,
  ];
  const close = closestNames(word, names);
  if (close.length) lines.push(`Did you mean ${close.map((n) => `'${n}'`).join(" or ")}?`);
  lines.push(`Use \`${program.name()} --help\` to list the commands.`);
  return lines.join("\n");
}

type Hooks = {
  unknownCommand: (this: Command) => never;
  missingArgument: (this: Command, name: string) => never;
  unknownOption: (this: Command, flag: string) => never;
};

/**
 * Make `program` answer usage errors as DVC's argparse does (exit 254): the
 * command's help on stdout, one `ERROR:` line on stderr (an unknown command
 * also gets the closest names and where the help is).
 */
export function answerUnknownCommands(program: Command, io: Io): void {
  // commander's hooks for these errors (methods missing from its typings)
  (program as unknown as Hooks).unknownCommand = function (this: Command) {
    const word = this.args[0];
    io.out(this.helpInformation());
    io.err(unknownCommandText(this, word));
    throw new CommanderError(254, "commander.unknownCommand", `unknown command '${word}'`);
  };
  const visit = (cmd: Command) => {
    const hooks = cmd as unknown as Hooks;
    hooks.missingArgument = function (this: Command, name: string) {
      io.out(this.helpInformation());
      io.err(`ERROR: the following arguments are required: ${name}`);
      throw new CommanderError(254, "commander.missingArgument", `missing argument '${name}'`);
    };
    hooks.unknownOption = function (this: Command, flag: string) {
      io.out(this.helpInformation());
      io.err(`ERROR: unrecognized arguments: ${flag}`);
      throw new CommanderError(254, "commander.unknownOption", `unknown option '${flag}'`);
    };
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
}
