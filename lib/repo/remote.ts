/**
 * `remote add/list/modify/remove/rename/default`: remote sections in DVC's
 * config files, with DVC's semantics and messages (dvc/commands/remote.py),
 * plus choosing and opening the remote a data command uses.
 */
import { ConfigError, ConfigFileError, NoRemoteError, RemoteNotFoundError } from "../errors.ts";
import {
  CONFIG_LEVELS,
  type ConfigLevel,
  configPath,
  loadConfig,
  readLevel,
  storedPathValue,
  validateConfigKey,
  writeLevel,
} from "../config/config.ts";
import type { IniDoc } from "../config/ini.ts";
import { openRemote, type Remote, type RemoteConfig } from "../plugin/remote.ts";
import { pluginRegistryFor } from "../pipeline/run_stage.ts";
import type { Repo } from "./repo.ts";

export interface RemoteScope {
  /** config level written (default: repo); list/default read it (default: merged). */
  level?: ConfigLevel;
  dvcDir?: string;
  cwd: string;
}

const section = (name: string) => `remote "${name}"`;

function remotesOf(doc: IniDoc): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [sec, keys] of doc) {
    const m = /^\s*remote\s*"(.*)"\s*$/.exec(sec);
    if (m) out.set(m[1].toLowerCase(), keys);
  }
  return out;
}

function levelOf(scope: RemoteScope): ConfigLevel {
  const level = scope.level ?? (scope.dvcDir ? "repo" : "global");
  if ((level === "repo" || level === "local") && !scope.dvcDir) {
    throw new ConfigError("not inside a DVC repository", { hint: "use --global or --system" });
  }
  return level;
}

function levelsUpTo(level: ConfigLevel | undefined, dvcDir?: string): ConfigLevel[] {
  const all = dvcDir ? CONFIG_LEVELS : CONFIG_LEVELS.filter((l) => l !== "repo" && l !== "local");
  if (!level) return all;
  return all.slice(0, all.indexOf(level) + 1);
}

function mergedRemotes(scope: RemoteScope, upTo?: ConfigLevel): Set<string> {
  const names = new Set<string>();
  for (const l of levelsUpTo(upTo, scope.dvcDir)) {
    for (const n of remotesOf(readLevel(l, scope.dvcDir)).keys()) names.add(n);
  }
  return names;
}

function findSection(doc: IniDoc, name: string): string | undefined {
  for (const sec of doc.keys()) {
    const m = /^\s*remote\s*"(.*)"\s*$/.exec(sec);
    if (m && m[1].toLowerCase() === name.toLowerCase()) return sec;
  }
  return undefined;
}

export interface RemoteAddOptions {
  default?: boolean;
  force?: boolean;
}

/** `remote add`; returns true when it became the default. */
export function remoteAdd(
  name: string,
  url: string,
  scope: RemoteScope,
  opts: RemoteAddOptions = {},
): void {
  const level = levelOf(scope);
  const doc = readLevel(level, scope.dvcDir);
  const existing = findSection(doc, name);
  if (existing && !opts.force) {
    throw new ConfigError(
      `remote '${name}' already exists. Use \`-f|--force\` to overwrite it.`,
    );
  }
  if (existing) doc.delete(existing);
  doc.set(
    section(name),
    new Map([[
      "url",
      storedPathValue("url", url, { level, dvcDir: scope.dvcDir, cwd: scope.cwd }),
    ]]),
  );
  if (opts.default) {
    const core = doc.get("core") ?? new Map<string, string>();
    core.set("remote", name);
    doc.set("core", core);
  }
  writeLevel(level, scope.dvcDir, doc);
}

export interface RemoteListEntry {
  name: string;
  url: string;
}

/** `remote list`: names and urls as stored (merged levels unless one is given). */
export function remoteList(scope: RemoteScope): RemoteListEntry[] {
  const levels = scope.level ? [scope.level] : levelsUpTo(undefined, scope.dvcDir);
  const merged = new Map<string, string>();
  for (const l of levels) {
    for (const [n, keys] of remotesOf(readLevel(l, scope.dvcDir))) {
      const url = keys.get("url");
      if (url !== undefined) merged.set(n, url);
      else if (!merged.has(n)) merged.set(n, "");
    }
  }
  return [...merged].map(([name, url]) => ({ name, url }));
}

/** `remote modify [--unset] NAME OPTION [VALUE]`. */
export function remoteModify(
  name: string,
  option: string,
  value: string | undefined,
  scope: RemoteScope & { unset?: boolean },
): void {
  const level = levelOf(scope);
  if (!mergedRemotes(scope, level).has(name.toLowerCase())) {
    throw new ConfigError(`remote '${name}' doesn't exist.`);
  }
  if (!scope.unset && value === undefined) {
    throw new ConfigError(`remote modify needs a value for '${option}' (or --unset)`);
  }
  if (option === "name") {
    throw new ConfigError("use 'cairn remote rename' to rename a remote");
  }
  const doc = readLevel(level, scope.dvcDir);
  const sec = findSection(doc, name) ?? section(name);
  if (!scope.unset) {
    // DVC validates the edit: an unknown option for this remote's type fails (exit 251)
    let url: string | undefined;
    for (const l of levelsUpTo(undefined, scope.dvcDir)) {
      url = remotesOf(readLevel(l, scope.dvcDir)).get(name.toLowerCase())?.get("url") ?? url;
    }
    validateConfigKey(sec, option, { url: option === "url" ? value : url });
  }
  const keys = doc.get(sec) ?? new Map<string, string>();
  if (scope.unset) keys.delete(option);
  else {
    keys.set(
      option,
      storedPathValue(option, value!, { level, dvcDir: scope.dvcDir, cwd: scope.cwd }),
    );
  }
  if (keys.size) doc.set(sec, keys);
  else doc.delete(sec);
  writeLevel(level, scope.dvcDir, doc);
}

/** `remote remove NAME`: also drops `core.remote` pointing at it up to that level. */
export function remoteRemove(name: string, scope: RemoteScope): void {
  const level = levelOf(scope);
  const doc = readLevel(level, scope.dvcDir);
  const sec = findSection(doc, name);
  if (!sec) throw new ConfigError(`remote '${name}' doesn't exist.`);
  doc.delete(sec);
  writeLevel(level, scope.dvcDir, doc);
  for (const l of [...levelsUpTo(undefined, scope.dvcDir)].reverse()) {
    const d = readLevel(l, scope.dvcDir);
    const core = d.get("core");
    if (core?.get("remote")?.toLowerCase() === name.toLowerCase()) {
      core.delete("remote");
      if (!core.size) d.delete("core");
      writeLevel(l, scope.dvcDir, d);
    }
    if (l === level) break;
  }
}

/** `remote rename OLD NEW`. */
export function remoteRename(name: string, newName: string, scope: RemoteScope): void {
  const level = levelOf(scope);
  if (mergedRemotes(scope).has(newName.toLowerCase())) {
    throw new ConfigError(`Rename failed. Remote name '${newName}' already exists.`);
  }
  const doc = readLevel(level, scope.dvcDir);
  const sec = findSection(doc, name);
  if (!sec) throw new ConfigError(`remote '${name}' doesn't exist.`);
  // Keep the section's place in the file.
  const renamed: IniDoc = new Map();
  for (const [k, v] of doc) renamed.set(k === sec ? section(newName) : k, v);
  writeLevel(level, scope.dvcDir, renamed);
  for (const l of [...levelsUpTo(undefined, scope.dvcDir)].reverse()) {
    const d = readLevel(l, scope.dvcDir);
    const core = d.get("core");
    if (core?.get("remote")?.toLowerCase() === name.toLowerCase()) {
      core.set("remote", newName);
      writeLevel(l, scope.dvcDir, d);
    }
    if (l === level) break;
  }
}

/** `remote default [NAME] [--unset]`: without a name, returns the current default. */
export function remoteDefault(
  name: string | undefined,
  scope: RemoteScope & { unset?: boolean },
): string | undefined {
  if (name === undefined && !scope.unset) {
    if (scope.level) return readLevel(scope.level, scope.dvcDir).get("core")?.get("remote");
    // like every config verb (DVC's CmdConfig), not validated: it must work on a broken config
    return loadConfig(scope.dvcDir, { validate: false }).core.remote;
  }
  const level = levelOf(scope);
  const doc = readLevel(level, scope.dvcDir);
  const core = doc.get("core") ?? new Map<string, string>();
  if (scope.unset) core.delete("remote");
  else {
    if (!mergedRemotes(scope, level).has(name!.toLowerCase())) {
      throw new ConfigError("default remote must be present in remote list.");
    }
    core.set("remote", name!);
  }
  if (core.size) doc.set("core", core);
  else doc.delete("core");
  writeLevel(level, scope.dvcDir, doc);
  return scope.unset ? undefined : name;
}

/** The remote a data command uses: `-r NAME`, else `core.remote`. */
export function resolveRemote(
  repo: Repo,
  name: string | undefined,
  command = "push",
): { name: string; config: RemoteConfig } {
  const chosen = (name ?? repo.config.core.remote)?.toLowerCase();
  if (!chosen) {
    throw new NoRemoteError(
      `no remote specified in ${
        configPath("repo", repo.dvcDir)
      }. Setup default remote with\n    cairn remote add -d <name> <url>\nor use:\n    cairn ${command} -r <name>`,
    );
  }
  const config = repo.config.remote[chosen];
  if (!config) {
    throw new RemoteNotFoundError(chosen, {
      hint: "cairn remote list shows the configured remotes",
    });
  }
  if (!config.url) {
    throw new ConfigFileError(`remote '${chosen}' has no url`, {
      hint: `cairn remote modify ${chosen} url URL`,
    });
  }
  return { name: chosen, config };
}

/** Open the plugin for a named remote with the repo's cache dir and project plugins. */
export async function openRepoRemote(
  repo: Repo,
  name: string | undefined,
  command = "push",
): Promise<Remote> {
  const { name: chosen, config } = resolveRemote(repo, name, command);
  const registry = await pluginRegistryFor(repo);
  Deno.mkdirSync(repo.cacheDir, { recursive: true });
  return await openRemote(config, { name: chosen, cacheDir: repo.cacheDir, registry });
}
