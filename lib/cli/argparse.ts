/**
 * The command-line parser: the subset of commander's API that lib/cli uses
 * (Command, Option, CommanderError), with commander's parsing rules and help
 * layout, as a plain ES module. commander is CommonJS, and loading it pulled
 * Deno's Node-compat layer into every start-up (issue 16); command files
 * only changed their import line.
 */

/** A usage error or an early exit (help, version); `exitCode` as commander's. */
export class CommanderError extends Error {
  /** e.g. "commander.unknownOption", "commander.helpDisplayed", "commander.version". */
  code: string;
  exitCode: number;
  constructor(exitCode: number, code: string, message: string) {
    super(message);
    this.name = "CommanderError";
    this.code = code;
    this.exitCode = exitCode;
  }
}

class InvalidArgumentError extends Error {}

const camel = (s: string) => s.split("-").reduce((a, w) => a + w[0].toUpperCase() + w.slice(1));

/** One option: `-j, --jobs <n>`, `--no-exec`, `--sandbox [policy]`, `--fs-config <kv...>`. */
export class Option {
  flags: string;
  description: string;
  short?: string;
  long?: string;
  /** takes a value (`<v>`). */
  required: boolean;
  /** may take a value (`[v]`). */
  optional: boolean;
  variadic: boolean;
  negate: boolean;
  hidden = false;
  mandatory = false;
  defaultValue: unknown;
  defaultValueDescription?: string;
  argChoices?: string[];
  parseArg?: (value: string, previous: unknown) => unknown;

  constructor(flags: string, description = "") {
    this.flags = flags;
    this.description = description;
    this.required = flags.includes("<");
    this.optional = flags.includes("[");
    this.variadic = /\w\.\.\.[>\]]$/.test(flags);
    // commander's reading: [short][long]; two longs make the first the "short"
    const parts = flags.split(/[ |,]+/);
    const isShort = (p?: string) => /^-[^-]$/.test(p ?? "");
    const isLong = (p?: string) => /^--[^-]/.test(p ?? "");
    if (isShort(parts[0])) this.short = parts.shift();
    if (isLong(parts[0])) this.long = parts.shift();
    if (!this.short && isShort(parts[0])) this.short = parts.shift();
    if (!this.short && isLong(parts[0])) {
      this.short = this.long;
      this.long = parts.shift();
    }
    if (parts[0]?.startsWith("-")) throw new Error(`option flags '${flags}': too many flags`);
    this.negate = this.long?.startsWith("--no-") ?? false;
  }

  /** The long name (or short) without dashes, e.g. "jobs", "no-exec". */
  name(): string {
    return (this.long ?? this.short ?? "").replace(/^--?/, "");
  }

  /** The key in opts(): camelCase, `no-` dropped (`--no-exec` -> exec). */
  attributeName(): string {
    return camel(this.name().replace(/^no-/, ""));
  }

  isBoolean(): boolean {
    return !this.required && !this.optional && !this.negate;
  }

  /** Whether `arg` is this option's short or long flag. */
  is(arg: string): boolean {
    return this.short === arg || this.long === arg;
  }

  default(value: unknown, description?: string): this {
    this.defaultValue = value;
    this.defaultValueDescription = description;
    return this;
  }

  /** Leave the option out of --help. */
  hideHelp(hide = true): this {
    this.hidden = hide;
    return this;
  }

  choices(values: readonly string[]): this {
    this.argChoices = [...values];
    this.parseArg = (arg, previous) => {
      if (!this.argChoices!.includes(arg)) {
        throw new InvalidArgumentError(`Allowed choices are ${this.argChoices!.join(", ")}.`);
      }
      return this.variadic ? this.concatValue(arg, previous) : arg;
    };
    return this;
  }

  argParser(fn: (value: string, previous: unknown) => unknown): this {
    this.parseArg = fn;
    return this;
  }

  makeOptionMandatory(mandatory = true): this {
    this.mandatory = mandatory;
    return this;
  }

  /** A variadic option's next value: a new list when the old is the default. */
  concatValue(value: string, previous: unknown): unknown[] {
    if (previous === this.defaultValue || !Array.isArray(previous)) return [value];
    return [...previous, value];
  }
}

/** A positional argument: `<name>`, `[name]`, `<name...>`. */
class Argument {
  name: string;
  description: string;
  required: boolean;
  variadic: boolean;
  defaultValue: unknown;
  constructor(spec: string, description = "", defaultValue?: unknown) {
    this.required = spec.startsWith("<");
    const inner = spec.replace(/^[<[]|[>\]]$/g, "");
    this.variadic = inner.endsWith("...");
    this.name = this.variadic ? inner.slice(0, -3) : inner;
    this.description = description;
    this.defaultValue = defaultValue;
  }

  /** `<name>` / `[name...]` as usage shows it. */
  human(): string {
    const n = this.name + (this.variadic ? "..." : "");
    return this.required ? `<${n}>` : `[${n}]`;
  }
}

/** Where output goes; `outputError` formats usage errors (as commander's configureOutput). */
export interface OutputConfiguration {
  writeOut: (s: string) => void;
  writeErr: (s: string) => void;
  outputError: (s: string, write: (s: string) => void) => void;
}

// deno-lint-ignore no-explicit-any
type ActionHandler = (...args: any[]) => unknown;
type Hook = (thisCommand: Command, actionCommand: Command) => unknown;

const maybeOption = (arg: string) => arg.length > 1 && arg[0] === "-";
const HELP_DESC = "display help for command";

function helpWidth(): number {
  try {
    if (Deno.stdout.isTerminal()) return Deno.consoleSize().columns;
  } catch { /* a probe: no size to be had (not a terminal, no console): the default */ }
  return 80;
}

/** Wrap at whitespace to `width`, keeping existing line breaks (commander's boxWrap). */
function boxWrap(str: string, width: number): string {
  if (width < 40) return str;
  const out: string[] = [];
  for (const line of str.split(/\r\n|\n/)) {
    const chunks = line.match(/[\s]*[^\s]+/g);
    if (chunks === null) {
      out.push("");
      continue;
    }
    let sum = [chunks.shift()!];
    let w = sum[0].length;
    for (const chunk of chunks) {
      if (w + chunk.length <= width) {
        sum.push(chunk);
        w += chunk.length;
        continue;
      }
      out.push(sum.join(""));
      const next = chunk.trimStart();
      sum = [next];
      w = next.length;
    }
    out.push(sum.join(""));
  }
  return out.join("\n");
}

/** A command (the program or a subcommand), commander's fluent API. */
export class Command {
  commands: Command[] = [];
  options: Option[] = [];
  registeredArguments: Argument[] = [];
  parent: Command | null = null;
  /** the operands and unknown options of the last parse. */
  args: string[] = [];
  processedArgs: unknown[] = [];
  private _name: string;
  private _aliases: string[] = [];
  private _description = "";
  private _hidden = false;
  private _version?: string;
  private _versionOption?: Option;
  private _actionHandler?: ActionHandler;
  private _hooks = new Map<string, Hook[]>();
  private _values: Record<string, unknown> = {};
  private _positional = false;
  private _passThrough = false;
  private _suggest = true;
  private _output: OutputConfiguration = {
    writeOut: (s) => Deno.stdout.writeSync(new TextEncoder().encode(s)),
    writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
    outputError: (s, write) => write(s),
  };
  private _helpOption = new Option("-h, --help", HELP_DESC);

  constructor(name = "") {
    this._name = name;
  }

  /** A subcommand from `"name <arg> [more...]"`; returns it. */
  command(nameAndArgs: string, opts: { hidden?: boolean } = {}): Command {
    const [, name, rest] = /([^ ]+) *(.*)/.exec(nameAndArgs)!;
    const cmd = new Command(name);
    cmd._hidden = !!opts.hidden;
    cmd._output = this._output;
    cmd.parent = this;
    for (const a of rest.split(/ +/).filter(Boolean)) cmd.argument(a);
    this.commands.push(cmd);
    return cmd;
  }

  name(): string;
  name(str: string): this;
  name(str?: string): string | this {
    if (str === undefined) return this._name;
    this._name = str;
    return this;
  }

  description(): string;
  description(str: string): this;
  description(str?: string): string | this {
    if (str === undefined) return this._description;
    this._description = str;
    return this;
  }

  alias(): string;
  alias(alias: string): this;
  alias(alias?: string): string | this {
    if (alias === undefined) return this._aliases[0];
    this._aliases.push(alias);
    return this;
  }

  aliases(): string[];
  aliases(aliases: readonly string[]): this;
  aliases(aliases?: readonly string[]): string[] | this {
    if (aliases === undefined) return this._aliases;
    for (const a of aliases) this.alias(a);
    return this;
  }

  argument(spec: string, description?: string, defaultValue?: unknown): this {
    this.registeredArguments.push(new Argument(spec, description, defaultValue));
    return this;
  }

  /** `.option(flags, description?, parser-or-default?, default?)`. */
  option(
    flags: string,
    description?: string,
    parserOrDefault?: unknown,
    defaultValue?: unknown,
  ): this {
    return this.addOption(this.makeOption(flags, description, parserOrDefault, defaultValue));
  }

  requiredOption(
    flags: string,
    description?: string,
    parserOrDefault?: unknown,
    defaultValue?: unknown,
  ): this {
    const o = this.makeOption(flags, description, parserOrDefault, defaultValue);
    return this.addOption(o.makeOptionMandatory());
  }

  private makeOption(flags: string, desc?: string, a?: unknown, b?: unknown): Option {
    const o = new Option(flags, desc);
    if (typeof a === "function") o.argParser(a as Option["parseArg"] & object).default(b);
    else o.default(a);
    return o;
  }

  addOption(option: Option): this {
    const key = option.attributeName();
    if (option.negate) {
      const positive = option.long!.replace(/^--no-/, "--");
      if (!this.findOption(positive)) {
        this._values[key] = option.defaultValue === undefined ? true : option.defaultValue;
      }
    } else if (option.defaultValue !== undefined) {
      this._values[key] = option.defaultValue;
    }
    this.options.push(option);
    return this;
  }

  /** `-V, --version` printing `str` and exiting. */
  version(str: string, flags = "-V, --version", description = "output the version number"): this {
    this._version = str;
    this._versionOption = new Option(flags, description);
    this.options.push(this._versionOption);
    return this;
  }

  action(fn: ActionHandler): this {
    this._actionHandler = fn;
    return this;
  }

  hook(event: "preSubcommand" | "preAction" | "postAction", fn: Hook): this {
    const list = this._hooks.get(event) ?? [];
    list.push(fn);
    this._hooks.set(event, list);
    return this;
  }

  /** Options are parsed before a subcommand only (`cairn -v add -q`). */
  enablePositionalOptions(on = true): this {
    this._positional = on;
    return this;
  }

  /** Everything after the first operand is an argument (`stage add ... cmd --flag`). */
  passThroughOptions(on = true): this {
    this._passThrough = on;
    return this;
  }

  showSuggestionAfterError(on = true): this {
    this._suggest = on;
    return this;
  }

  /** Usage errors always throw CommanderError here (commander's exitOverride). */
  exitOverride(): this {
    return this;
  }

  configureOutput(): OutputConfiguration;
  configureOutput(cfg: Partial<OutputConfiguration>): this;
  configureOutput(cfg?: Partial<OutputConfiguration>): OutputConfiguration | this {
    if (cfg === undefined) return this._output;
    this._output = { ...this._output, ...cfg };
    return this;
  }

  /** The parsed option values (camelCase keys). */
  // deno-lint-ignore no-explicit-any
  opts<T = Record<string, any>>(): T {
    return this._values as T;
  }

  getOptionValue(key: string): unknown {
    return this._values[key];
  }

  setOptionValue(key: string, value: unknown): this {
    this._values[key] = value;
    return this;
  }

  // ---- parsing

  /** Parse `argv` (user arguments only) and run the chosen command's action. */
  async parseAsync(argv: readonly string[], _opts?: { from: "user" }): Promise<this> {
    await this.parseCommand([], [...argv]);
    return this;
  }

  private findOption(arg: string): Option | undefined {
    return this.options.find((o) => o.is(arg));
  }

  private findCommand(name: string | undefined): Command | undefined {
    if (name === undefined) return undefined;
    return this.commands.find((c) => c._name === name || c._aliases.includes(name));
  }

  private hasHelpCommand(): boolean {
    return this.commands.length > 0 && !this._actionHandler && !this.findCommand("help");
  }

  private chain(): Command[] {
    const out: Command[] = [this];
    for (let c = this.parent; c; c = c.parent) out.push(c);
    return out;
  }

  private negativeNumber(arg: string): boolean {
    if (!/^-(\d+|\d*\.\d+)([eE][+-]?\d+)?$/.test(arg)) return false;
    return !this.chain().some((c) => c.options.some((o) => /^-\d$/.test(o.short ?? "")));
  }

  private setOption(option: Option, value: string | null | undefined): void {
    if (option === this._versionOption) {
      this._output.writeOut(`${this._version}\n`);
      throw new CommanderError(0, "commander.version", this._version!);
    }
    const key = option.attributeName();
    const old = this._values[key];
    let v: unknown = value;
    if (value != null && option.parseArg) {
      try {
        v = option.parseArg(value, old === undefined ? option.defaultValue : old);
      } catch (err) {
        if (!(err instanceof InvalidArgumentError)) throw err;
        this.error(
          `error: option '${option.flags}' argument '${value}' is invalid. ${err.message}`,
          "commander.invalidArgument",
        );
      }
    } else if (value != null && option.variadic) {
      v = option.concatValue(value, old);
    }
    if (v == null) v = option.negate ? false : option.isBoolean() || option.optional ? true : "";
    this._values[key] = v;
  }

  /** Split `args` into operands and unknown options, consuming known options (commander's rules). */
  parseOptions(args: string[]): { operands: string[]; unknown: string[] } {
    const operands: string[] = [];
    const unknown: string[] = [];
    let dest = operands;
    let variadic: Option | null = null;
    let group: string | null = null;
    let i = 0;
    while (i < args.length || group) {
      const arg: string = group ?? args[i++];
      group = null;
      if (arg === "--") {
        if (dest === unknown) dest.push(arg);
        dest.push(...args.slice(i));
        break;
      }
      if (variadic && (!maybeOption(arg) || this.negativeNumber(arg))) {
        this.setOption(variadic, arg);
        continue;
      }
      variadic = null;
      if (maybeOption(arg)) {
        const option = this.findOption(arg);
        if (option) {
          if (option.required) {
            const value = args[i++];
            if (value === undefined) {
              this.error(
                `error: option '${option.flags}' argument missing`,
                "commander.optionMissingArgument",
              );
            }
            this.setOption(option, value);
          } else if (option.optional) {
            let value = null;
            if (i < args.length && (!maybeOption(args[i]) || this.negativeNumber(args[i]))) {
              value = args[i++];
            }
            this.setOption(option, value);
          } else this.setOption(option, null);
          variadic = option.variadic ? option : null;
          continue;
        }
      }
      if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
        const option = this.findOption(`-${arg[1]}`);
        if (option) {
          if (option.required || option.optional) this.setOption(option, arg.slice(2));
          else {
            this.setOption(option, null);
            group = `-${arg.slice(2)}`;
          }
          continue;
        }
      }
      if (/^--[^=]+=/.test(arg)) {
        const at = arg.indexOf("=");
        const option = this.findOption(arg.slice(0, at));
        if (option && (option.required || option.optional)) {
          this.setOption(option, arg.slice(at + 1));
          continue;
        }
      }
      if (
        dest === operands && maybeOption(arg) &&
        !(this.commands.length === 0 && this.negativeNumber(arg))
      ) dest = unknown;
      if (
        (this._positional || this._passThrough) && operands.length === 0 && unknown.length === 0
      ) {
        if (this.findCommand(arg)) {
          operands.push(arg);
          unknown.push(...args.slice(i));
          break;
        } else if (this.hasHelpCommand() && arg === "help") {
          operands.push(arg, ...args.slice(i));
          break;
        }
      }
      if (this._passThrough) {
        dest.push(arg, ...args.slice(i));
        break;
      }
      dest.push(arg);
    }
    return { operands, unknown };
  }

  private async parseCommand(operandsIn: string[], unknownIn: string[]): Promise<void> {
    const parsed = this.parseOptions(unknownIn);
    const operands = [...operandsIn, ...parsed.operands];
    const unknown = parsed.unknown;
    this.args = [...operands, ...unknown];
    const sub = this.findCommand(operands[0]);
    if (sub) {
      for (const hook of this._hooks.get("preSubcommand") ?? []) await hook(this, sub);
      return await sub.parseCommand(operands.slice(1), unknown);
    }
    if (this.hasHelpCommand() && operands[0] === "help") {
      const target = operands[1] === undefined ? this : this.findCommand(operands[1]) ?? this;
      return target.help();
    }
    if (this.commands.length && this.args.length === 0 && !this._actionHandler) {
      this.help({ error: true });
    }
    if (unknown.some((a) => this._helpOption.is(a))) {
      this.outputHelp();
      throw new CommanderError(0, "commander.helpDisplayed", "(outputHelp)");
    }
    for (const o of this.options) {
      if (o.mandatory && this._values[o.attributeName()] === undefined) {
        this.error(
          `error: required option '${o.flags}' not specified`,
          "commander.missingMandatoryOptionValue",
        );
      }
    }
    const checkUnknown = () => {
      if (unknown.length > 0) this.unknownOption(unknown[0]);
    };
    if (this._actionHandler) {
      checkUnknown();
      this.processArguments();
      for (const hook of this._hooks.get("preAction") ?? []) await hook(this, this);
      await this._actionHandler(...this.processedArgs, this.opts(), this);
      for (const hook of this._hooks.get("postAction") ?? []) await hook(this, this);
      return;
    }
    if (operands.length && this.commands.length) return this.unknownCommand();
    if (!operands.length && this.commands.length) {
      checkUnknown();
      this.help({ error: true });
    }
    checkUnknown();
    this.processArguments();
  }

  private processArguments(): void {
    const declared = this.registeredArguments;
    declared.forEach((arg, i) => {
      if (arg.required && this.args[i] == null) this.missingArgument(arg.name);
    });
    if (declared.length && declared.at(-1)!.variadic) { /* takes the rest */ }
    else if (this.args.length > declared.length) this.excessArguments(this.args);
    this.processedArgs = declared.map((arg, i) => {
      if (arg.variadic) {
        if (i < this.args.length) return this.args.slice(i);
        return arg.defaultValue === undefined ? [] : arg.defaultValue;
      }
      return i < this.args.length ? this.args[i] : arg.defaultValue;
    });
  }

  // ---- errors (methods, so a program may replace them as with commander)

  /** Print `message` through outputError and throw (commander's `error`). */
  error(message: string, code = "commander.error", exitCode = 1): never {
    this._output.outputError(`${message}\n`, this._output.writeErr);
    throw new CommanderError(exitCode, code, message);
  }

  missingArgument(name: string): never {
    this.error(`error: missing required argument '${name}'`, "commander.missingArgument");
  }

  unknownOption(flag: string): never {
    let hint = "";
    if (flag.startsWith("--") && this._suggest) {
      const all = this.chain().flatMap((c) => c.options.map((o) => o.long ?? ""));
      const near = all.find((l) => l && (l.startsWith(flag) || flag.startsWith(l)));
      if (near) hint = `\n(Did you mean ${near}?)`;
    }
    this.error(`error: unknown option '${flag}'${hint}`, "commander.unknownOption");
  }

  unknownCommand(): never {
    this.error(`error: unknown command '${this.args[0]}'`, "commander.unknownCommand");
  }

  private excessArguments(received: string[]): never {
    const expected = this.registeredArguments.length;
    const forSub = this.parent ? ` for '${this._name}'` : "";
    this.error(
      `error: too many arguments${forSub}. Expected ${expected} argument${
        expected === 1 ? "" : "s"
      } but got ${received.length}: ${received.join(", ")}.`,
      "commander.excessArguments",
    );
  }

  // ---- help

  /** `[options] [command] <args>` as commander derives it. */
  usage(): string {
    return [
      "[options]",
      ...(this.commands.length ? ["[command]"] : []),
      ...this.registeredArguments.map((a) => a.human()),
    ].join(" ");
  }

  private visibleOptions(): Option[] {
    const opts = this.options.filter((o) => !o.hidden);
    const takenShort = this.findOption("-h"), takenLong = this.findOption("--help");
    if (!takenShort && !takenLong) opts.push(this._helpOption);
    else if (!takenLong) opts.push(new Option("--help", HELP_DESC));
    else if (!takenShort) opts.push(new Option("-h", HELP_DESC));
    return opts;
  }

  private visibleCommands(): [string, string][] {
    const rows: [string, string][] = this.commands.filter((c) => !c._hidden).map((c) => {
      const args = c.registeredArguments.map((a) => a.human()).join(" ");
      const term = c._name + (c._aliases[0] ? `|${c._aliases[0]}` : "") +
        (c.options.length ? " [options]" : "") + (args ? ` ${args}` : "");
      return [term, c._description];
    });
    if (this.hasHelpCommand()) rows.push(["help [command]", HELP_DESC]);
    return rows;
  }

  /** The help text, laid out as commander's default help. */
  helpInformation(): string {
    const width = helpWidth();
    const withExtra = (desc: string, extra: string[]) =>
      extra.length ? (desc ? `${desc} (${extra.join(", ")})` : `(${extra.join(", ")})`) : desc;
    const args: [string, string][] = this.registeredArguments.some((a) => a.description)
      ? this.registeredArguments.map((a) => [
        a.name,
        withExtra(
          a.description,
          a.defaultValue === undefined ? [] : [`default: ${JSON.stringify(a.defaultValue)}`],
        ),
      ])
      : [];
    const opts: [string, string][] = this.visibleOptions().map((o) => {
      const extra: string[] = [];
      if (o.argChoices) {
        extra.push(`choices: ${o.argChoices.map((c) => JSON.stringify(c)).join(", ")}`);
      }
      if (
        o.defaultValue !== undefined &&
        (o.required || o.optional || (o.isBoolean() && typeof o.defaultValue === "boolean"))
      ) extra.push(`default: ${o.defaultValueDescription || JSON.stringify(o.defaultValue)}`);
      return [o.flags, withExtra(o.description, extra)];
    });
    const cmds = this.visibleCommands();
    const termWidth = Math.max(0, ...[...args, ...opts, ...cmds].map(([t]) => t.length));
    const item = ([term, desc]: [string, string]) => {
      if (!desc) return `  ${term}`;
      const remaining = width - termWidth - 4;
      const text = remaining < 40 || /\n[^\S\r\n]/.test(desc)
        ? desc
        : boxWrap(desc, remaining).replace(/\n/g, "\n" + " ".repeat(termWidth + 2));
      return `  ${term.padEnd(termWidth)}  ${text.replace(/\n/g, "\n  ")}`;
    };
    const list = (title: string, rows: [string, string][]) =>
      rows.length ? [title, ...rows.map(item), ""] : [];
    let names = this._name + (this._aliases[0] ? `|${this._aliases[0]}` : "");
    for (let p = this.parent; p; p = p.parent) names = `${p._name} ${names}`;
    return [
      `Usage: ${names} ${this.usage()}`,
      "",
      ...(this._description ? [boxWrap(this._description, width), ""] : []),
      ...list("Arguments:", args),
      ...list("Options:", opts),
      ...list("Commands:", cmds),
    ].join("\n");
  }

  /** Write the help (to stderr with `{ error: true }`). */
  outputHelp(context: { error?: boolean } = {}): void {
    const text = this.helpInformation();
    if (context.error) this._output.writeErr(text);
    else this._output.writeOut(text);
  }

  /** Show the help and stop (exit code 1 when shown for an error, as commander). */
  help(context: { error?: boolean } = {}): never {
    this.outputHelp(context);
    throw new CommanderError(context.error ? 1 : 0, "commander.help", "(outputHelp)");
  }
}
