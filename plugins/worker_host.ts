/**
 * Entry module of every plugin Worker (lib/plugin/loader.ts starts it): serves
 * the plugin named by the host. The built-in remotes of ./builtin.ts are
 * imported with literal specifiers (part of this Worker's module graph, so
 * `deno compile` embeds them and loading them needs no read permission);
 * other plugins by URL, which needs read access to their folder (the loader
 * grants it).
 */
import { servePlugin } from "../lib/plugin/worker_serve.ts";
import { BUILTIN_PLUGINS } from "./builtin.ts";

const REMOTES: Record<string, () => Promise<Record<string, unknown>>> = {
  remote_local: () => import("./remote_local/mod.ts"),
  remote_s3: () => import("./remote_s3/mod.ts"),
  remote_ssh: () => import("./remote_ssh/mod.ts"),
  remote_http: () => import("./remote_http/mod.ts"),
};

servePlugin((url) => {
  const name = BUILTIN_PLUGINS.find((p) => p.module === url)?.manifest.name;
  const load = name ? REMOTES[name] : undefined;
  return load ? load() : import(url);
});
