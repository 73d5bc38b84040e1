/**
 * Project plugins run only when the user trusted them (lib/plugin/trust.ts),
 * recorded under $XDG_CONFIG_HOME/cairn. Tests that start project plugins
 * point XDG_CONFIG_HOME at a temp folder (never the real user's config) and
 * trust the plugins they mean to run.
 */
import type { PluginRegistry } from "../../lib/plugin/registry.ts";
import { trustPlugin } from "../../lib/plugin/trust.ts";

/**
 * A trust store for this test process (XDG_CONFIG_HOME, inherited by child
 * cairns). The environment is process-wide and `deno test --parallel` runs
 * several test modules in one process, so every module gets the same folder
 * (named after the pid); cairn serialises writes to the trust file.
 */
export function useTempTrustStore(): string {
  const dir = `${Deno.env.get("TMPDIR") || "/tmp"}/cairn-test-config-${Deno.pid}`;
  Deno.mkdirSync(dir, { recursive: true });
  Deno.env.set("XDG_CONFIG_HOME", dir);
  return dir;
}

/** Trust every project plugin of `reg` as it is now (in the temp store). */
export function trustProjectPlugins(reg: PluginRegistry): PluginRegistry {
  useTempTrustStore();
  for (const spec of reg.list()) if (!spec.builtin) trustPlugin(spec);
  return reg;
}
