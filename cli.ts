// Ctrl-C while modules are still loading: exit with DVC's "interrupted" code
// (252), like any later interrupt. main() installs the real handler.
const early = () => Deno.exit(252);
Deno.addSignalListener("SIGINT", early);
const { main } = await import("./lib/cli/main.ts");
Deno.removeSignalListener("SIGINT", early);

Deno.exit(await main(Deno.args));
