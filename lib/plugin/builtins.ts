/**
 * The built-in plugins, as registered by the top level (plugins/builtin.ts,
 * imported by the CLI and mod.ts). lib/plugin never imports plugins/: the
 * plugins import this folder's API, and the table comes in from above.
 */
import { CairnError } from "../errors.ts";
import type { PluginSpec } from "./loader.ts";

/** A built-in plugin: its spec and, for one run in cairn's process, an import of its module. */
export interface BuiltinPlugin {
  spec: PluginSpec;
  /** a literal `import()`, so `deno compile` embeds the module (runners; remotes run in Workers). */
  load?: () => Promise<Record<string, unknown>>;
  /**
   * a Worker entry that imports the module statically (remotes): with Deno's
   * lazy dynamic imports, a Worker could not import it without read access.
   */
  workerEntry?: URL;
}

/** What the top level registers. */
export interface BuiltinTable {
  plugins: readonly BuiltinPlugin[];
  /** module URL of the plugin Worker's entry (it knows the same table). */
  workerEntry: URL;
}

let table: BuiltinTable | undefined;

/** Install the built-in table (plugins/builtin.ts does this when imported). */
export function registerBuiltins(t: BuiltinTable): void {
  table = t;
}

/** Specs of the built-in plugins (none until the table is registered). */
export function builtinSpecs(): PluginSpec[] {
  return (table?.plugins ?? []).map((p) => p.spec);
}

/** The in-process loader of the built-in plugin whose module is `url`, if any. */
export function builtinLoader(
  url: string,
): (() => Promise<Record<string, unknown>>) | undefined {
  return table?.plugins.find((p) => p.spec.module === url)?.load;
}

/** URL of the plugin Worker's entry module. */
export function workerEntry(module?: string): URL {
  const own = table?.plugins.find((p) => p.spec.module === module)?.workerEntry;
  if (own) return own;
  if (!table) {
    throw new CairnError("no plugin host registered", {
      hint: "import plugins/builtin.ts (the CLI and mod.ts do) before using plugins",
    });
  }
  return table.workerEntry;
}
