/**
 * `plugins list` / `runners list`: the installed plugins (built-in and the
 * project's, from `plugins:` in .dvc/cairn.yaml) with what their manifests
 * declare. Runner permissions have their placeholders filled for this
 * machine and project; remote permissions follow each remote's config, so
 * they are shown as templates.
 */
import { fillTemplate, PERMISSION_KINDS, type PermissionKind } from "../plugin/manifest.ts";
import { PluginRegistry } from "../plugin/registry.ts";
import { type RunnerManifest, runnerPolicies, runnerShortName } from "../plugin/runner_api.ts";
import type { SandboxPolicy } from "../sandbox/grants.ts";
import { which } from "../sandbox/availability.ts";
import { pluginRegistryFor } from "../pipeline/run_stage.ts";
import type { Repo } from "./repo.ts";
import type { PluginSpec } from "../plugin/loader.ts";
import {
  trustPlugin,
  type TrustRecord,
  type TrustState,
  trustState,
  untrustPlugin,
} from "../plugin/trust.ts";
import { CairnError } from "../errors.ts";

export interface PluginInfo {
  name: string;
  kind: "remote" | "runner";
  /** "built-in" or the plugin's folder. */
  source: string;
  builtin: boolean;
  description?: string;
  /** remotes: URL schemes ("" = local paths). */
  schemes?: string[];
  /** runners: the name stages use (`runner: shell`). */
  runner?: string;
  policies?: SandboxPolicy[];
  /** runners: programs needed per policy. */
  requires?: Partial<Record<SandboxPolicy, string[]>>;
  commands?: string;
  /** as the manifest declares them (templates). */
  permissions: Partial<Record<PermissionKind, string[]>>;
  /** runners: placeholders filled for this machine/project ("*" = all). */
  resolved?: Partial<Record<PermissionKind, string[]>>;
  /** project plugins run only when trusted as they are now (`cairn plugins trust NAME`). */
  trust: TrustState;
  /**
   * where the plugin's own code runs: "cairn" (built-in runners: cairn's
   * process and permissions) or "worker" (a Deno Worker with only the
   * permissions shown).
   */
  runsIn: "cairn" | "worker";
  /** runners: what confines a stage under each policy. */
  confinement?: Partial<Record<SandboxPolicy, string>>;
}

export interface ListPluginsOptions {
  kind?: "remote" | "runner";
}

function flat(entries: (string | string[])[] | undefined): string[] {
  return (entries ?? []).map((e) => Array.isArray(e) ? e.join(" | ") : e);
}

function perms(p: Partial<Record<string, string[]>>): string {
  const parts = Object.entries(p).filter(([, l]) => l && l.length)
    .map(([k, l]) => `${k}: ${l!.map((x) => (x === "*" ? "all" : x)).join(", ")}`);
  return parts.length ? parts.join("; ") : "none";
}

/** What holds a stage run by a project runner (lib/plugin/runner.ts). */
function workerConfinement(info: PluginInfo): Partial<Record<SandboxPolicy, string>> {
  const out: Partial<Record<SandboxPolicy, string>> = {};
  for (const pol of info.policies ?? []) {
    out[pol] = pol === "off"
      ? `a Deno Worker with the permissions its manifest declares (${
        perms(info.resolved ?? info.permissions)
      })`
      : `a Deno Worker with only the stage's declaration: read ${
        pol === "on" ? "everything" : "deps, outs, read grants and its own code"
      }, write outs and write grants, net/env the grants, never run`;
  }
  return out;
}

/** Installed plugins; `repo` null outside a project (built-ins only). */
export async function listPlugins(
  repo: Repo | null,
  opts: ListPluginsOptions = {},
): Promise<PluginInfo[]> {
  const reg = repo ? await pluginRegistryFor(repo) : new PluginRegistry();
  const values: Record<string, string | undefined> = {
    shell: Deno.env.get("SHELL") || "/bin/sh",
    deno: /(^|\/)deno$/.test(Deno.execPath()) ? Deno.execPath() : which("deno") ?? "deno",
    repoRoot: repo?.root ?? "<project>",
    cacheDir: repo?.cacheDir ?? "<project>/.dvc/cache",
    home: Deno.env.get("HOME"),
    "stage.cwd": "<stage wdir>",
  };
  const out: PluginInfo[] = [];
  for (const spec of reg.list()) {
    const m = spec.manifest;
    if (opts.kind && m.kind !== opts.kind) continue;
    const permissions: PluginInfo["permissions"] = {};
    for (const k of PERMISSION_KINDS) {
      const l = flat(m.permissions[k]);
      if (l.length) permissions[k] = l;
    }
    const info: PluginInfo = {
      name: m.name,
      kind: m.kind,
      source: spec.source,
      builtin: spec.builtin,
      description: m.description,
      permissions,
      trust: trustState(spec),
      runsIn: m.kind === "runner" && spec.builtin ? "cairn" : "worker",
    };
    if (m.kind === "remote") info.schemes = m.schemes ?? [];
    else {
      const r = (m as RunnerManifest).runner;
      info.runner = runnerShortName(m.name);
      info.policies = runnerPolicies(m);
      info.requires = r?.requires ?? {};
      if (r?.commands) info.commands = r.commands;
      const resolved: PluginInfo["resolved"] = {};
      for (const [k, l] of Object.entries(permissions) as [PermissionKind, string[]][]) {
        resolved[k] = l.map((t) => t === "*" ? "*" : fillTemplate(t, values) ?? t);
      }
      info.resolved = resolved;
      info.confinement = spec.builtin ? { ...r?.confinement } : workerConfinement(info);
    }
    out.push(info);
  }
  return out;
}

/** The project plugin `name` (manifest name, or a runner's short name). */
async function projectPlugin(repo: Repo, name: string): Promise<PluginSpec> {
  const reg = await pluginRegistryFor(repo);
  const spec = reg.get(name) ?? reg.runner(name);
  if (!spec) {
    const names = reg.list().filter((p) => !p.builtin).map((p) => p.manifest.name);
    throw new CairnError(`no plugin named '${name}' in this project`, {
      hint: names.length
        ? `project plugins: ${names.join(", ")}`
        : "a project lists its plugins under plugins: in .dvc/cairn.yaml",
    });
  }
  return spec;
}

/** What `plugins trust` recorded, with the manifest that was trusted. */
export interface TrustResult {
  record: TrustRecord;
  plugin: PluginInfo;
}

/**
 * Trust a project plugin as it is now (recorded in the user's config dir,
 * outside the repo); a later change to its files needs trust again.
 */
export async function trustProjectPlugin(repo: Repo, name: string): Promise<TrustResult> {
  const spec = await projectPlugin(repo, name);
  const record = trustPlugin(spec);
  const plugin = (await listPlugins(repo)).find((p) => p.name === spec.manifest.name)!;
  return { record, plugin };
}

/** Withdraw trust from a project plugin; false when it was not trusted. */
export async function untrustProjectPlugin(repo: Repo, name: string): Promise<boolean> {
  return untrustPlugin(await projectPlugin(repo, name));
}
