/**
 * Which module registers each top-level command, so a run loads only the
 * module of the command it runs (start-up: the full command set pulls in
 * most of lib/ and every npm package). Only an accelerator: a command not
 * listed here, help, or anything unusual on the command line loads them
 * all (`./commands/index.ts`). tests/unit/cli/command_map_test.ts checks
 * every entry against the full program.
 */
import type { CommandModule } from "./commands/index.ts";

type Loader = () => Promise<CommandModule>;

// Literal specifiers, so `deno compile` embeds them.
const misc: Loader = () => import("./commands/misc.ts");
const manage: Loader = () => import("./commands/manage.ts");
const metrics: Loader = () => import("./commands/metrics.ts");
const dag: Loader = () => import("./commands/dag.ts");
const freeze: Loader = () => import("./commands/freeze.ts");
const plugins: Loader = () => import("./commands/plugins.ts");
const exp: Loader = () => import("./commands/exp.ts");

export const COMMAND_LOADERS: Readonly<Record<string, Loader>> = {
  init: () => import("./commands/init.ts"),
  config: () => import("./commands/config.ts"),
  version: misc,
  doctor: misc,
  root: misc,
  cache: misc,
  metrics,
  params: metrics,
  plots: () => import("./commands/plots.ts"),
  add: () => import("./commands/add.ts"),
  checkout: () => import("./commands/checkout.ts"),
  gc: () => import("./commands/gc.ts"),
  diff: () => import("./commands/diff.ts"),
  commit: () => import("./commands/commit.ts"),
  remove: manage,
  move: manage,
  unprotect: manage,
  destroy: manage,
  list: manage,
  ls: manage,
  data: manage,
  "check-ignore": manage,
  status: () => import("./commands/status.ts"),
  repro: () => import("./commands/repro.ts"),
  stage: () => import("./commands/stage.ts"),
  dag,
  pipeline: dag,
  freeze,
  unfreeze: freeze,
  plugins,
  runners: plugins,
  remote: () => import("./commands/remote.ts"),
  push: () => import("./commands/push.ts"),
  pull: () => import("./commands/pull.ts"),
  fetch: () => import("./commands/fetch.ts"),
  import: () => import("./commands/import.ts"),
  get: () => import("./commands/get.ts"),
  "import-url": () => import("./commands/import_url.ts"),
  "get-url": () => import("./commands/get_url.ts"),
  update: () => import("./commands/update.ts"),
  exp,
  experiments: exp,
  queue: exp,
  nb: () => import("./commands/nb.ts"),
  notebook: () => import("./commands/nb.ts"),
  du: () => import("./commands/du.ts"),
  install: () => import("./commands/install.ts"),
  "git-hook": () => import("./commands/install.ts"),
  completion: () => import("./commands/completion.ts"),
  "list-url": () => import("./commands/ls_url.ts"),
  "ls-url": () => import("./commands/ls_url.ts"),
};

/** Options of the program itself (before the command name). */
const GLOBAL_FLAGS = new Set(["-q", "--quiet", "-v", "--verbose"]);

/**
 * The command named on the command line, "" when there is none, or
 * undefined when the line has something the scan does not understand.
 */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) return a;
    if (a === "--cd") i++;
    else if (
      !(GLOBAL_FLAGS.has(a) || /^-[qv]+$/.test(a) || a.startsWith("--cd=") ||
        a === "-V" || a === "--version" || a === "-h" || a === "--help")
    ) return undefined;
  }
  return "";
}

/** The command modules a run with `argv` needs. */
export async function commandModulesFor(argv: readonly string[]): Promise<CommandModule[]> {
  const name = commandName(argv);
  const has = (...flags: string[]) => flags.some((f) => argv.includes(f));
  if (name === "" && has("-V", "--version") && !has("-h", "--help")) {
    return []; // commander answers --version before looking at commands
  }
  if (name && Object.hasOwn(COMMAND_LOADERS, name)) return [await COMMAND_LOADERS[name]()];
  return (await import("./commands/index.ts")).COMMANDS;
}
