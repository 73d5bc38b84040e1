/**
 * The `yaml` package, loaded as ES modules. Its `exports` send Deno (which
 * matches the `node` condition) to its CommonJS build, and running any
 * CommonJS module loads Deno's Node-compat layer: ~60 ms of CPU on every
 * start-up that reads a dvc.yaml (issue 16). The package ships the same code
 * as ES modules under `browser/` (its `default` condition), which needs
 * nothing from Node; that build is imported by URL next to the resolved
 * entry point. Where that cannot work (cairn imported over http, a layout
 * that differs) the package's own entry is used: same API, only slower to
 * load. Every cairn module uses the package through this one (one copy of
 * its classes, one load).
 */
import type * as YamlPackage from "npm:yaml@^2.9.1";
import { setLoadedYaml } from "./yaml_slot.ts";

/** Which build was loaded (tests check the fast one is). */
export let yamlBuild: "esm" | "commonjs" = "esm";

async function load(): Promise<typeof YamlPackage> {
  let esm: string | undefined;
  try {
    const entry = import.meta.resolve("npm:yaml@^2.9.1");
    if (entry.startsWith("file:") && entry.endsWith("/dist/index.js")) {
      esm = new URL("../browser/dist/index.js", entry).href;
    }
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // not resolvable here
  }
  if (esm) {
    try {
      return await import(esm) as typeof YamlPackage;
    } catch (err) {
      // e.g. a remote module may not import a file: URL; fall back below
      if (!(err instanceof TypeError)) throw err;
    }
  }
  yamlBuild = "commonjs";
  return await import("npm:yaml@^2.9.1");
}

/** The `yaml` package's API. */
export const yaml: typeof YamlPackage = await load();
setLoadedYaml(yaml);
