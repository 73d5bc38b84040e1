import { assertEquals, assertMatch, assertRejects } from "../../_rig/assert.ts";
import { Command, CommanderError, Option } from "../../../lib/cli/argparse.ts";

interface Run {
  args?: unknown[];
  opts?: Record<string, unknown>;
  out: string;
  err: string;
}

/** A small program: `prog [-q] (add|run|grp ...)`, as main.ts and context.ts build theirs. */
function program(run: Run): Command {
  const p = new Command("prog").version("1.2.3", "-V, --version", "Show version.")
    .option("-q, --quiet", "Be quiet.")
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => run.out += s,
      writeErr: (s) => run.err += s,
      outputError: (s, write) => write(`ERROR: ${s.replace(/^error: /, "")}`),
    });
  const record = (...a: unknown[]) => {
    const cmd = a.at(-1) as Command;
    run.args = a.slice(0, -2);
    run.opts = { ...cmd.opts() };
  };
  p.command("add <targets...>").description("Add.")
    .option("-j, --jobs <n>", "Jobs.")
    .option("-R, --recursive", "Recurse.")
    .option("-f, --force", "Force.")
    .option("--no-commit", "Do not commit.")
    .option("--sandbox [policy]", "Sandbox.")
    .option("-p, --param <kv>", "Params.", (v: string, prev: string[] = []) => [...prev, v])
    .option("--fs-config <kv...>", "Config.")
    .addOption(new Option("--backend <b>", "Backend.").choices(["a", "b"]))
    .action(record);
  p.command("run").argument("<command...>", "Command.").option("-n <name>", "Name.")
    .passThroughOptions().action(record);
  const grp = p.command("grp").description("A group.");
  grp.command("one [x]").action(record);
  return p;
}

async function parse(argv: string[]): Promise<Run & { code?: string }> {
  const run: Run & { code?: string } = { out: "", err: "" };
  try {
    await program(run).parseAsync(argv, { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    run.code = err.code;
  }
  return run;
}

Deno.test("argparse: value forms -j 2, -j2, --jobs=2, --jobs 2", async () => {
  for (const form of [["-j", "2"], ["-j2"], ["--jobs=2"], ["--jobs", "2"]]) {
    const r = await parse(["add", ...form, "x"]);
    assertEquals(r.args, [["x"]], form.join(" "));
    assertEquals(r.opts?.jobs, "2", form.join(" "));
  }
});

Deno.test("argparse: grouped short flags, negation default and --no-", async () => {
  let r = await parse(["add", "-Rf", "x", "y"]);
  assertEquals(r.args, [["x", "y"]]);
  assertEquals(r.opts, { commit: true, recursive: true, force: true });
  r = await parse(["add", "--no-commit", "x"]);
  assertEquals(r.opts?.commit, false);
});

Deno.test("argparse: optional values, parser functions, variadic options", async () => {
  let r = await parse(["add", "--sandbox", "hermetic", "x"]);
  assertEquals(r.opts?.sandbox, "hermetic"); // an optional value takes a following non-option word
  assertEquals(r.args, [["x"]]);
  r = await parse(["add", "x", "--sandbox"]);
  assertEquals(r.opts?.sandbox, true);
  r = await parse(["add", "-p", "a=1", "--param", "b=2", "x"]);
  assertEquals(r.opts?.param, ["a=1", "b=2"]);
  r = await parse(["add", "--fs-config", "a=1", "b=2", "-f", "x"]);
  assertEquals(r.opts?.fsConfig, ["a=1", "b=2"]);
  assertEquals(r.args, [["x"]]);
});

Deno.test("argparse: -- ends options; passThroughOptions keeps a command's flags", async () => {
  let r = await parse(["add", "--", "-weird", "--jobs"]);
  assertEquals(r.args, [["-weird", "--jobs"]]);
  r = await parse(["run", "-n", "s", "python", "train.py", "--epochs", "3", "-q"]);
  assertEquals(r.args, [["python", "train.py", "--epochs", "3", "-q"]]);
  assertEquals(r.opts?.n, "s");
});

Deno.test("argparse: usage errors throw CommanderError and print one ERROR line", async () => {
  let r = await parse(["add", "--bogus", "x"]);
  assertEquals(r.code, "commander.unknownOption");
  assertEquals(r.err, "ERROR: unknown option '--bogus'\n");
  r = await parse(["add", "--backend", "c", "x"]);
  assertEquals(r.code, "commander.invalidArgument");
  assertMatch(r.err, /argument 'c' is invalid\. Allowed choices are a, b\./);
  r = await parse(["add", "-j"]);
  assertEquals(r.code, "commander.optionMissingArgument");
  r = await parse(["grp", "one", "a", "b"]);
  assertEquals(r.code, "commander.excessArguments");
  r = await parse(["nope"]);
  assertEquals(r.code, "commander.unknownCommand");
});

Deno.test("argparse: positional options stop at the subcommand; -q before it is the program's", async () => {
  const run: Run = { out: "", err: "" };
  const p = program(run);
  let seen: unknown;
  p.hook("preSubcommand", (cmd) => seen = cmd.opts().quiet);
  await p.parseAsync(["-q", "grp", "one", "v"], { from: "user" });
  assertEquals(seen, true);
  assertEquals(run.args, ["v"]);
  const r = await parse(["add", "-q", "x"]);
  assertEquals(r.code, "commander.unknownOption"); // add has no -q here
});

Deno.test("argparse: --version, --help, help COMMAND, a group without a subcommand", async () => {
  let r = await parse(["--version"]);
  assertEquals([r.code, r.out], ["commander.version", "1.2.3\n"]);
  r = await parse(["add", "--help"]);
  assertEquals(r.code, "commander.helpDisplayed");
  assertEquals(
    r.out.split("\n").slice(0, 6),
    [
      "Usage: prog add [options] <targets...>",
      "",
      "Add.",
      "",
      "Options:",
      "  -j, --jobs <n>       Jobs.",
    ],
  );
  assertMatch(r.out, /--backend <b>\s+Backend\. \(choices: "a", "b"\)\n/);
  assertMatch(r.out, /-h, --help\s+display help for command\n/);
  r = await parse(["help", "grp"]);
  assertEquals(r.code, "commander.help");
  assertMatch(r.out, /^Usage: prog grp \[options\] \[command\]\n\nA group\.\n\nOptions:\n/);
  assertMatch(r.out, /Commands:\n {2}one \[x\]\n {2}help \[command\]\s+display help for command\n/);
  r = await parse(["grp"]);
  assertEquals(r.code, "commander.help");
  assertMatch(r.err, /^Usage: prog grp/);
});

Deno.test("argparse: a missing argument goes through the replaceable hook", async () => {
  const run: Run = { out: "", err: "" };
  const p = program(run);
  const add = p.commands.find((c) => c.name() === "add")!;
  add.missingArgument = (name: string) => {
    throw new CommanderError(254, "custom", name);
  };
  await assertRejects(() => p.parseAsync(["add"], { from: "user" }), CommanderError, "targets");
});
