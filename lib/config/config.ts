/**
 * DVC's config levels (system < global < repo < local), merged into one
 * typed view. Relative paths in `cache.dir` and remote urls are stored
 * relative to the config file's directory and resolved on load (spec §1.1).
 */
import { dirname, isAbsolute, join, relative, resolve } from "../path.ts";
import { ConfigError, ConfigFileError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { dumpIni, type IniDoc, iniLineOf, parseIni } from "./ini.ts";
import { checkConfig, knownKey } from "./schema.ts";

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
  for (const [written, keys] of doc) {
    const name = written.toLowerCase(); // DVC lower-cases every name (`[Core]` is core)
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
  opts: { levels?: ConfigLevel[]; validate?: boolean } = {},
): Config {
  const cfg = emptyConfig();
  const read: { doc: IniDoc; file: string }[] = [];
  for (const level of opts.levels ?? CONFIG_LEVELS) {
    if ((level === "repo" || level === "local") && !dvcDir) continue;
    const file = configPath(level, dvcDir);
    const doc = readLevel(level, dvcDir);
    read.push({ doc, file });
    mergeDoc(cfg, doc, file);
  }
  if (opts.validate !== false) validateLevels(read);
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

/**
 * Reject what DVC's schema rejects in the merged levels (later levels win,
 * as DVC merges before validating): ConfigError (exit 251) with DVC's
 * message, the file and line of the offending entry and a "did you mean".
 */
export function validateLevels(levels: { doc: IniDoc; file: string }[]): void {
  const merged = new Map<string, Map<string, string>>();
  const origin = new Map<string, string>();
  for (const { doc, file } of levels) {
    for (const [name, keys] of doc) {
      const sec = name.toLowerCase();
      const m = merged.get(sec) ?? new Map<string, string>();
      merged.set(sec, m);
      origin.set(sec, file);
      for (const [k, v] of keys) {
        m.set(k, v);
        origin.set(`${sec}\0${k}`, file);
      }
    }
  }
  const p = checkConfig(merged);
  if (!p) return;
  const file = origin.get(p.key === undefined ? p.section : `${p.section}\0${p.key}`);
  let where = file ?? "config";
  if (file) {
    try {
      const line = iniLineOf(Deno.readTextFileSync(file), p.section, p.key);
      if (line !== undefined) where = `${file}:${line}`;
    } catch { /* the file was readable a moment ago; the path alone will do */ }
  }
  const short = (x: string) => (x.length > 200 ? `${x.slice(0, 200)}...` : x);
  const [sec, key] = [short(p.section), short(p.key ?? "")];
  const what = p.key === undefined
    ? `unknown section [${sec}]`
    : p.message.startsWith("extra keys")
    ? `unknown key '${key}' in [${sec}]`
    : `invalid value of '${key}' in [${sec}]`;
  const dym = p.suggestion === undefined
    ? ""
    : p.key === undefined
    ? ` (did you mean [${p.suggestion}]?)`
    : ` (did you mean '${p.suggestion}'?)`;
  throw new ConfigFileError(p.message, { hint: `${where}: ${what}${dym}` });
}

/**
 * Reject a `cairn config` / `remote modify` edit DVC's schema refuses: an
 * unknown section or key (for a remote: by its `url`'s scheme), or a
 * `value` DVC would not accept (plain sections; remote values are checked
 * when the config is next loaded).
 */
export function validateConfigKey(
  section: string,
  key: string,
  opts: { url?: string; value?: string } = {},
): void {
  const entries: [string, string][] = opts.url === undefined ? [] : [["url", opts.url]];
  if (knownKey(section, key, opts.url)) {
    if (opts.value === undefined || NAMED.test(section)) return;
    const bad = checkConfig([[section, [[key, opts.value]]]]);
    if (!bad) return;
    throw new ConfigFileError(bad.message, { hint: `invalid value of '${key}' in [${section}]` });
  }
  const p = checkConfig([[section, [...entries, [key, ""]]]]);
  const dym = p?.suggestion === undefined ? "" : ` (did you mean '${p.suggestion}'?)`;
  throw new ConfigFileError(
    p?.message ?? `extra keys not allowed @ data['${section}']['${key}']`,
    {
      hint: p?.key === undefined
        ? `unknown section [${section}]${dym}`
        : `unknown key '${key}' in [${section}]${dym}`,
    },
  );
}
