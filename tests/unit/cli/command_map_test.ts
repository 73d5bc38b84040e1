import { assert, assertEquals, assertStrictEquals } from "../../_rig/assert.ts";
import type { Command } from "../../../lib/cli/argparse.ts";
import { COMMAND_LOADERS, commandModulesFor, commandName } from "../../../lib/cli/command_map.ts";
import { COMMANDS } from "../../../lib/cli/commands/index.ts";
import { buildProgram } from "../../../lib/cli/main.ts";
import { bufferIo } from "../../../lib/cli/io.ts";

const ctx = () => ({ io: bufferIo(), cwd: Deno.cwd(), exitCode: 0 });

function find(program: Command, name: string): Command | undefined {
  return program.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/** Help of a command and of every command below it. */
function helpTree(cmd: Command): string {
  return [cmd.helpInformation(), ...cmd.commands.map(helpTree)].join("\n---\n");
}

Deno.test("command map: each entry's module alone gives the same command as the full program", async () => {
  const full = buildProgram(ctx(), COMMANDS);
  for (const [name, load] of Object.entries(COMMAND_LOADERS)) {
    const expected = find(full, name);
    assert(expected, `'${name}' is in the command map but not in commands/index.ts`);
    const alone = find(buildProgram(ctx(), [await load()]), name);
    assert(alone, `the module mapped for '${name}' does not register it`);
    assertStrictEquals(helpTree(alone), helpTree(expected), `'${name}' differs when loaded alone`);
  }
});

Deno.test("command map: the command name is found after global flags", () => {
  assertStrictEquals(commandName(["status"]), "status");
  assertStrictEquals(commandName(["-q", "--cd", "sub", "add", "x"]), "add");
  assertStrictEquals(commandName(["--cd=sub", "-qv", "checkout"]), "checkout");
  assertStrictEquals(commandName(["--version"]), "");
  assertStrictEquals(commandName([]), "");
  assertStrictEquals(commandName(["--bogus", "status"]), undefined);
});

Deno.test("command map: --version loads no command, help and unknown names load all", async () => {
  assertEquals(await commandModulesFor(["--version"]), []);
  assertStrictEquals((await commandModulesFor(["-V", "-h"])).length, COMMANDS.length);
  assertStrictEquals((await commandModulesFor([])).length, COMMANDS.length);
  assertStrictEquals((await commandModulesFor(["-q"])).length, COMMANDS.length);
  assertStrictEquals((await commandModulesFor(["stauts"])).length, COMMANDS.length);
  assertStrictEquals((await commandModulesFor(["toString"])).length, COMMANDS.length);
  assertStrictEquals((await commandModulesFor(["status", "-h"])).length, 1);
});
