/**
 * The one table of built-in plugins. Importing this module registers it with
 * lib/plugin (lib/plugin/builtins.ts); the CLI (lib/cli/main.ts), mod.ts and
 * the plugin Worker's entry (./worker_host.ts) import it, nothing below them.
 * Runners run in cairn's process: their modules are imported here with
 * literal specifiers, so `deno compile` embeds them. Remotes run in Workers,
 * whose entry holds their literal imports (keeping ssh2's types, which pull
 * in an older @types/node, out of the main program's type check). Module URLs
 * are import.meta.url-relative (`--include plugins/` keeps them in the binary).
 */
import { type BuiltinPlugin, registerBuiltins } from "../lib/plugin/builtins.ts";
import type { PluginSpec } from "../lib/plugin/loader.ts";
import type { PluginManifest } from "../lib/plugin/manifest.ts";
import { manifest as localManifest } from "./remote_local/manifest.ts";
import { manifest as s3Manifest } from "./remote_s3/manifest.ts";
import { manifest as sshManifest } from "./remote_ssh/manifest.ts";
import { manifest as httpManifest } from "./remote_http/manifest.ts";
import { manifest as shellRunnerManifest } from "./runner_shell/manifest.ts";
import { manifest as denoRunnerManifest } from "./runner_deno/manifest.ts";
import { manifest as slurmRunnerManifest } from "./runner_slurm/manifest.ts";

function builtin(
  manifest: PluginManifest,
  load?: () => Promise<Record<string, unknown>>,
): BuiltinPlugin {
  const module = new URL(`./${manifest.name}/mod.ts`, import.meta.url).href;
  // Remotes: a Worker entry per plugin that imports it statically (./remote_*/worker.ts).
  const workerEntry = load ? undefined : new URL(`./${manifest.name}/worker.ts`, import.meta.url);
  return { spec: { manifest, module, builtin: true, source: "built-in" }, load, workerEntry };
}

const TABLE: readonly BuiltinPlugin[] = [
  builtin(localManifest),
  builtin(s3Manifest),
  builtin(sshManifest),
  builtin(httpManifest),
  builtin(shellRunnerManifest, () => import("./runner_shell/mod.ts")),
  builtin(denoRunnerManifest, () => import("./runner_deno/mod.ts")),
  builtin(slurmRunnerManifest, () => import("./runner_slurm/mod.ts")),
];

/** Specs of the plugins that ship with cairn (remotes and runners). */
export const BUILTIN_PLUGINS: readonly PluginSpec[] = TABLE.map((p) => p.spec);

registerBuiltins({ plugins: TABLE, workerEntry: new URL("./worker_host.ts", import.meta.url) });
