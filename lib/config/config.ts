/**
 * DVC's config levels (system < global < repo < local), merged into one
 * typed view. Relative paths in `cache.dir` and remote urls are stored
 * relative to the config file's directory and resolved on load (spec §1.1).
 */
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { ConfigError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { dumpIni, type IniDoc, parseIni } from "./ini.ts";

export type ConfigLevel = "system" | "global" | "repo" | "local";
export const CONFIG_LEVELS: ConfigLevel[] = [
  "system",
  "global",
  "repo",
  "local",
];

export type Section = Record<string, string>;

export interface Config {
  core: Section;
  cache: Section;
  /** remote name -> its keys (url resolved to an absolute path for local remotes). */
  remote: Record<string, Section>;
  /** every other section by its raw name (`plots`, `exp`, `machine "x"` ...). */
  other: Record<string, Section>;
}

const NAMED = /^\s*(remote|machine|db)\s*"(.*)"\s*$/;

/** Keys whose values are paths stored relative to the config file. */
const PATH_KEYS = new Set([
  "dir",
  "url",
  "keyfile",
  "credentialpath",
  "gdrive_user_credentials_file",
  "gdrive_service_account_json_file_path",
  "key_path",
  "cert_path",
  "ca_bundle",
]);

/** Known keys of plain sections, as DVC's schema has them (unknown ones fail). */
const KNOWN: Record<string, string[]> = {
  core: [
    "remote",
    "autostage",
    "no_scm",
    "interactive",
    "checksum_jobs",
    "site_cache_dir",
    "hardlink_lock",
    "analytics",
    "check_update",
  ],
  cache: [
    "dir",
    "type",
    "shared",
    "slow_link_warning",
    "verify",
    "protected",
    "local",
    "s3",
    "gs",
    "ssh",
    "hdfs",
    "azure",
  ],
  plots: ["html_template", "out_dir", "auto_open"],
  parsing: ["bool", "list"],
  exp: [
    "code",
    "data",
    "models",
    "metrics",
    "params",
    "plots",
    "live",
    "auto_push",
    "git_remote",
  ],
  state: ["row_limit", "row_cleanup_quota", "dir"],
  index: ["dir"],
  hydra: ["enabled", "config_dir", "config_name", "plugins_path"],
  studio: ["token", "url", "repo_url", "offline"],
  db: [],
  feature: [],
};

function homeDir(): string {
  return Deno.env.get("HOME") ?? "/";
}

export function configPath(level: ConfigLevel, dvcDir?: string): string {
  switch (level) {
    case "system":
      return join(
        Deno.env.get("DVC_SYSTEM_CONFIG_DIR") ?? "/etc/xdg/dvc",
        "config",
      );
    case "global": {
      const dir = Deno.env.get("DVC_GLOBAL_CONFIG_DIR") ??
        join(
          Deno.env.get("XDG_CONFIG_HOME") ?? join(homeDir(), ".config"),
          "dvc",
        );
      return join(dir, "config");
    }
    case "repo":
    case "local":
      if (!dvcDir) {
        throw new ConfigError(
          `'${level}' config is only available inside a repository`,
        );
      }
      return join(dvcDir, level === "repo" ? "config" : "config.local");
  }
}

export function readLevel(level: ConfigLevel, dvcDir?: string): IniDoc {
  const path = configPath(level, dvcDir);
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return new Map();
    if (err instanceof Deno.errors.PermissionDenied) return new Map();
    throw err;
  }
  return parseIni(text, path);
}

export function writeLevel(
  level: ConfigLevel,
  dvcDir: string | undefined,
  doc: IniDoc,
): void {
  const path = configPath(level, dvcDir);
  writeTextAtomic(path, dumpIni(doc), { mkdirs: true });
}

function isUrlOrAbsolute(v: string): boolean {
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(v) || isAbsolute(v) ||
    v.startsWith("~") ||
    /^[a-zA-Z0-9._-]+@[^:]+:/.test(v); // scp-like ssh
}

/** Resolve a path value read from the config file at `file`. */
function resolveValue(key: string, value: string, file: string): string {
  if (!PATH_KEYS.has(key) || value === "" || isUrlOrAbsolute(value)) {
    return value;
  }
  return resolve(dirname(file), value);
}

/**
 * Convert a path the user typed (relative to cwd) into the form stored in the
 * config file at `level` (relative to that file's directory, `/` separators).
 */
export function storedPathValue(
  key: string,
  value: string,
  opts: { level: ConfigLevel; dvcDir?: string; cwd: string },
): string {
  if (!PATH_KEYS.has(key) || value === "" || isUrlOrAbsolute(value)) {
    return value;
  }
  const fileDir = dirname(configPath(opts.level, opts.dvcDir));
  return relative(fileDir, resolve(opts.cwd, value)).split("\\").join("/") ||
    ".";
}

export function emptyConfig(): Config {
  return { core: {}, cache: {}, remote: {}, other: {} };
}

function mergeDoc(into: Config, doc: IniDoc, file: string) {
  for (const [name, keys] of doc) {
    const named = NAMED.exec(name);
    let target: Section;
    if (named && named[1] === "remote") {
      target = into.remote[named[2].toLowerCase()] ??= {};
    } else if (name === "core") target = into.core;
    else if (name === "cache") target = into.cache;
    else target = into.other[name] ??= {};
    for (const [k, v] of keys) target[k] = resolveValue(k, v, file);
  }
}

/** Load and merge all levels. `dvcDir` undefined = outside a repository. */
export function loadConfig(
  dvcDir?: string,
  opts: { levels?: ConfigLevel[] } = {},
): Config {
  const cfg = emptyConfig();
  for (const level of opts.levels ?? CONFIG_LEVELS) {
    if ((level === "repo" || level === "local") && !dvcDir) continue;
    mergeDoc(cfg, readLevel(level, dvcDir), configPath(level, dvcDir));
  }
  if (cfg.core.remote) cfg.core.remote = cfg.core.remote.toLowerCase();
  return cfg;
}

export function configBool(v: string | undefined, fallback = false): boolean {
  if (v === undefined) return fallback;
  return /^(true|1|yes|on)$/i.test(v.trim());
}

/** Split `section.key` / `remote.name.key` as `dvc config` accepts them. */
export function splitConfigName(
  name: string,
): { section: string; key: string } {
  const parts = name.split(".");
  if (parts.length < 2 || parts.some((p) => p === "")) {
    throw new ConfigError(
      `name '${name}' must be of the form 'section.option'`,
    );
  }
  if (parts.length >= 3 && ["remote", "machine", "db"].includes(parts[0])) {
    return {
      section: `${parts[0]} "${parts.slice(1, -1).join(".")}"`,
      key: parts.at(-1)!,
    };
  }
  if (parts.length !== 2) {
    throw new ConfigError(
      `name '${name}' must be of the form 'section.option'`,
    );
  }
  return { section: parts[0], key: parts[1] };
}

/** Reject sections/keys DVC's schema would reject (DVC fails on unknown keys). */
export function validateConfigKey(section: string, key: string): void {
  if (NAMED.test(section)) return; // remote keys depend on the backend
  const known = KNOWN[section];
  if (!known) {
    throw new ConfigError(
      `configuration error: extra keys not allowed @ data['${section}']`,
    );
  }
  if (known.length && !known.includes(key)) {
    throw new ConfigError(
      `configuration error: extra keys not allowed @ data['${section}']['${key}']`,
    );
  }
}
