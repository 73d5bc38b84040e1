// Ctrl-C while modules are still loading: exit with DVC's "interrupted" code
// (252), like any later interrupt. main() installs the real handler.
const early = () => Deno.exit(252);
Deno.addSignalListener("SIGINT", early);
// The compiled binary's Landlock launcher (lib/sandbox/landlock.ts): no CLI, just confine and run.
if (Deno.args[0] === "__landlock-launch") {
  const { launcherMain } = await import("./lib/sandbox/landlock_launcher.ts");
  Deno.exit(await launcherMain(Deno.args[1]));
}
const { main } = await import("./lib/cli/main.ts");
Deno.removeSignalListener("SIGINT", early);

Deno.exit(await main(Deno.args));
