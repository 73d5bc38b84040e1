/**
 * Entry module of every plugin Worker (lib/plugin/loader.ts starts it): serves
 * the plugin named by the host. Built-in remotes come from ./worker_modules.ts
 * (literal imports); other plugins are imported by URL, which needs read
 * access to their folder (the loader grants it).
 */
import { servePlugin } from "../lib/plugin/worker_serve.ts";
import { BUILTIN_PLUGINS } from "./builtin.ts";
import { WORKER_MODULES } from "./worker_modules.ts";

servePlugin((url) => {
  const name = BUILTIN_PLUGINS.find((p) => p.module === url)?.manifest.name;
  const load = name ? WORKER_MODULES[name] : undefined;
  return load ? load() : import(url);
});
