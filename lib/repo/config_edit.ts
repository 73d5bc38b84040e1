/** `config`: get/set/unset/list values at one level, as `dvc config` does. */
import { ConfigError } from "../errors.ts";
import {
  CONFIG_LEVELS,
  type ConfigLevel,
  readLevel,
  splitConfigName,
  storedPathValue,
  validateConfigKey,
  writeLevel,
} from "../config/config.ts";

export interface ConfigScope {
  level?: ConfigLevel;
  /** `.dvc` dir, when inside a repo. */
  dvcDir?: string;
  cwd: string;
}

function levelOf(scope: ConfigScope): ConfigLevel {
  const level = scope.level ?? (scope.dvcDir ? "repo" : "global");
  if ((level === "repo" || level === "local") && !scope.dvcDir) {
    throw new ConfigError(
      "only global and system configs are available outside a DVC repository",
      {
        hint: "use --global or --system",
      },
    );
  }
  return level;
}

export function configGet(name: string, scope: ConfigScope): string {
  const { section, key } = splitConfigName(name);
  const levels = scope.level ? [scope.level] : [...CONFIG_LEVELS].reverse();
  for (const level of levels) {
    if ((level === "repo" || level === "local") && !scope.dvcDir) continue;
    const v = readLevel(level, scope.dvcDir).get(section)?.get(key);
    if (v !== undefined) return v;
  }
  throw new ConfigError(`option '${name}' doesn't exist`);
}

export function configSet(
  name: string,
  value: string,
  scope: ConfigScope,
): void {
  const { section, key } = splitConfigName(name);
  validateConfigKey(section, key, { value });
  const level = levelOf(scope);
  const doc = readLevel(level, scope.dvcDir);
  const sec = doc.get(section) ?? new Map<string, string>();
  sec.set(
    key,
    storedPathValue(key, value, {
      level,
      dvcDir: scope.dvcDir,
      cwd: scope.cwd,
    }),
  );
  doc.set(section, sec);
  writeLevel(level, scope.dvcDir, doc);
}

export function configUnset(name: string, scope: ConfigScope): void {
  const { section, key } = splitConfigName(name);
  const level = levelOf(scope);
  const doc = readLevel(level, scope.dvcDir);
  const sec = doc.get(section);
  if (!sec?.has(key)) throw new ConfigError(`option '${name}' doesn't exist`);
  sec.delete(key);
  if (sec.size === 0) doc.delete(section);
  writeLevel(level, scope.dvcDir, doc);
}

export interface ConfigEntry {
  name: string;
  value: string;
  level: ConfigLevel;
}

/** Flattened `section.key=value` entries of one level, or of all levels merged. */
export function configList(scope: ConfigScope): ConfigEntry[] {
  const levels = scope.level ? [scope.level] : CONFIG_LEVELS;
  const merged = new Map<string, ConfigEntry>();
  for (const level of levels) {
    if ((level === "repo" || level === "local") && !scope.dvcDir) continue;
    for (const [section, keys] of readLevel(level, scope.dvcDir)) {
      const m = /^\s*(remote|machine|db)\s*"(.*)"\s*$/.exec(section);
      const prefix = m ? `${m[1]}.${m[2]}` : section;
      for (const [k, v] of keys) {
        merged.set(`${prefix}.${k}`, {
          name: `${prefix}.${k}`,
          value: v,
          level,
        });
      }
    }
  }
  return [...merged.values()];
}
