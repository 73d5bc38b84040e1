/**
 * The `yaml` package once some module has loaded it (yaml_lib.ts fills this
 * in). yaml_parse.ts reads text the fast reader declines with it when it is
 * here, without importing the package itself (start-up, issue 16).
 */
import type * as YamlPackage from "npm:yaml@^2.9.1";

/** The package's API. */
export type YamlApi = typeof YamlPackage;

let loaded: YamlApi | undefined;

/** The package, if loaded in this process. */
export function loadedYaml(): YamlApi | undefined {
  return loaded;
}

/** Called by yaml_lib.ts once the package is loaded. */
export function setLoadedYaml(api: YamlApi): void {
  loaded = api;
}

type TomlReader = (text: string, path: string) => unknown;
let toml: TomlReader | undefined;

/** toml_parse.ts's reader, if loaded in this process. */
export function loadedToml(): TomlReader | undefined {
  return toml;
}

/** Called by toml_parse.ts when it loads. */
export function setLoadedToml(reader: TomlReader): void {
  toml = reader;
}
