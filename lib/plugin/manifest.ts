/**
 * Plugin manifests and the filling of their permission placeholders.
 *
 * A manifest is static data. Permission entries may name placeholders that the
 * loader fills from the remote's config and the repo context, so a plugin gets
 * exactly the host, path, files and env vars its configuration needs:
 *
 *   "{remote.url.hostname}:{remote.port}"       net to the configured host
 *   "{remote.keyfile}"                          read of a configured key file
 *   "{remote.endpointurl.host|remote.url.host}" first alternative that is set
 *   "s3.{remote.region|env.AWS_REGION|'us-east-1'}.amazonaws.com"  literal fallback
 *
 * An entry whose placeholder has no value is dropped (the grant is not needed);
 * an entry given as an array means "the first alternative that resolves".
 */
import { ConfigError } from "../errors.ts";

export const PLUGIN_API_VERSION = 1;

export type PluginKind = "remote" | "runner";
export type PermissionKind = "read" | "write" | "net" | "env" | "run" | "ffi";
export const PERMISSION_KINDS: PermissionKind[] = ["read", "write", "net", "env", "run", "ffi"];

/**
 * Kinds only built-in plugins may ask for: `ffi` (native libraries, named by
 * placeholder: `{libc}`) runs code Deno's permissions cannot confine, so a
 * project plugin's manifest that asks for it is refused (validateManifest,
 * startPlugin). A built-in is cairn's own code, trusted like the binary.
 */
export const BUILTIN_ONLY_KINDS: readonly PermissionKind[] = ["ffi"];

/** A permission entry: a template, or alternatives of which the first resolvable wins. */
export type PermissionEntry = string | string[];

export type ManifestPermissions = Partial<Record<PermissionKind, PermissionEntry[]>>;

export interface PluginManifest {
  name: string;
  apiVersion: number;
  kind: PluginKind;
  /** URL schemes a remote plugin serves ("s3", "ssh", ...); "" = plain local paths. */
  schemes?: string[];
  description?: string;
  permissions: ManifestPermissions;
}

/** Permissions after placeholders are filled: concrete lists per kind. */
export type ResolvedPermissions = Record<PermissionKind, string[]>;

/** Values placeholders are filled from (see {@link placeholderValues}). */
export type PlaceholderValues = Record<string, string | undefined>;

const DEFAULT_PORTS: Record<string, string> = {
  ssh: "22",
  sftp: "22",
  http: "80",
  webdav: "80",
  https: "443",
  webdavs: "443",
  s3: "443",
};

function urlParts(prefix: string, raw: string | undefined, out: PlaceholderValues): void {
  if (!raw) return;
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(?:([^@/]*)@)?(\[[^\]]+\]|[^:/?#]*)(?::(\d+))?([^?#]*)/
    .exec(raw);
  if (!m) {
    // A plain path (local remote).
    out[`${prefix}.path`] = raw;
    return;
  }
  const [, scheme, user, hostname, port, path] = m;
  out[`${prefix}.scheme`] = scheme.toLowerCase();
  if (user) out[`${prefix}.user`] = decodeURIComponent(user.split(":")[0]);
  if (hostname) out[`${prefix}.hostname`] = hostname;
  const p = port ?? DEFAULT_PORTS[scheme.toLowerCase()];
  if (p) out[`${prefix}.port`] = p;
  if (hostname) out[`${prefix}.host`] = port ? `${hostname}:${port}` : hostname;
  if (path) out[`${prefix}.path`] = decodeURIComponent(path);
}

export interface PlaceholderContext {
  /** the remote's config section (DVC keys: url, endpointurl, port, user, keyfile, ...). */
  remote?: Record<string, string>;
  /** the repo's cache directory (absolute). */
  cacheDir?: string;
  /** the environment to read `{env.NAME}` from (default: Deno.env). */
  env?: Record<string, string | undefined>;
  /** further named values (`{name}`). */
  extra?: Record<string, string>;
}

/**
 * Every value a placeholder can name: `remote.<key>` for each config key,
 * `remote.url.{scheme,user,host,hostname,port,path}`, the same parts of
 * `remote.endpointurl`, the shortcuts `remote.host` (url hostname),
 * `remote.port` (config `port`, url port, scheme default), `remote.path`,
 * `remote.user`, plus `cacheDir`, `home`, `env.<NAME>`.
 */
export function placeholderValues(ctx: PlaceholderContext): PlaceholderValues {
  const out: PlaceholderValues = {};
  const remote = ctx.remote ?? {};
  for (const [k, v] of Object.entries(remote)) out[`remote.${k}`] = v;
  urlParts("remote.url", remote.url, out);
  urlParts("remote.endpointurl", remote.endpointurl, out);
  out["remote.host"] = out["remote.url.hostname"];
  out["remote.port"] = remote.port ?? out["remote.url.port"];
  out["remote.path"] = out["remote.url.path"];
  out["remote.user"] = remote.user ?? out["remote.url.user"];
  if (ctx.cacheDir) out.cacheDir = ctx.cacheDir;
  const env = ctx.env;
  const home = env ? env.HOME : Deno.env.get("HOME");
  if (home) out.home = home;
  for (const [k, v] of Object.entries(ctx.extra ?? {})) out[k] = v;
  // env.* is looked up lazily (see fillTemplate) so that only named vars are read.
  return out;
}

function lookup(
  name: string,
  values: PlaceholderValues,
  env: Record<string, string | undefined> | undefined,
): string | undefined {
  name = name.trim();
  if (name.startsWith("'") && name.endsWith("'") && name.length >= 2) return name.slice(1, -1);
  if (name.startsWith("env.")) {
    const key = name.slice(4);
    const v = env ? env[key] : Deno.env.get(key);
    return v === "" ? undefined : v;
  }
  const v = values[name];
  return v === "" ? undefined : v;
}

/**
 * Fill one template. Returns undefined when a placeholder has no value (the
 * entry is then dropped). Placeholders nest: `{a|'x.{b}'}` is not supported,
 * but several placeholders per template are.
 */
export function fillTemplate(
  template: string,
  values: PlaceholderValues,
  env?: Record<string, string | undefined>,
): string | undefined {
  let missing = false;
  const out = template.replace(/\{([^{}]+)\}/g, (_m, expr: string) => {
    for (const alt of expr.split("|")) {
      const v = lookup(alt, values, env);
      if (v !== undefined) return v;
    }
    missing = true;
    return "";
  });
  return missing ? undefined : out;
}

/** The `remote.<key>` config keys a permission kind's entries depend on (for hints). */
export function configKeysFor(manifest: PluginManifest, kind: PermissionKind): string[] {
  const keys = new Set<string>();
  for (const entry of manifest.permissions[kind] ?? []) {
    for (const t of Array.isArray(entry) ? entry : [entry]) {
      for (const m of t.matchAll(/\{([^{}]+)\}/g)) {
        for (const alt of m[1].split("|")) {
          const a = alt.trim();
          const k = /^remote\.([a-z_]+)/.exec(a);
          if (k) keys.add(k[1] === "host" || k[1] === "path" ? "url" : k[1]);
          const e = /^env\.(\w+)/.exec(a);
          if (e) keys.add(`$${e[1]}`);
        }
      }
    }
  }
  return [...keys];
}

/** Resolve a path to where it really is (symlinks followed), also if it does not exist yet. */
export function realPathLenient(path: string): string {
  const parts: string[] = [];
  let p = path;
  for (;;) {
    try {
      const real = Deno.realPathSync(p);
      return parts.length ? `${real.replace(/\/$/, "")}/${parts.reverse().join("/")}` : real;
    } catch {
      const slash = p.lastIndexOf("/");
      if (slash <= 0) return path;
      parts.push(p.slice(slash + 1));
      p = p.slice(0, slash);
    }
  }
}

export interface ResolveOptions extends PlaceholderContext {
  /** grants added by the user on top of the manifest (already concrete). */
  grants?: Partial<Record<PermissionKind, string[]>>;
}

/** Fill a manifest's placeholders: concrete, de-duplicated permission lists. */
export function resolvePermissions(
  manifest: PluginManifest,
  opts: ResolveOptions = {},
): ResolvedPermissions {
  const values = placeholderValues(opts);
  const out = {} as ResolvedPermissions;
  for (const kind of PERMISSION_KINDS) {
    const list = new Set<string>();
    for (const entry of manifest.permissions[kind] ?? []) {
      const alts = Array.isArray(entry) ? entry : [entry];
      for (const t of alts) {
        const v = fillTemplate(t, values, opts.env);
        if (v === undefined) continue;
        list.add(v);
        break;
      }
    }
    for (const g of opts.grants?.[kind] ?? []) list.add(g);
    let items = [...list];
    if (kind === "read" || kind === "write") {
      // Grant real locations: a symlinked grant must not widen what is reachable.
      items = items.map((p) => realPathLenient(expandHome(p, values.home)));
    }
    out[kind] = [...new Set(items)];
  }
  return out;
}

/** Why a project plugin may not ask for permission kind `k` (for ConfigErrors). */
export function builtinOnlyReason(k: string): string {
  return `permission '${k}' is only for cairn's built-in plugins (native code through FFI is ` +
    `beyond what Deno's permissions can confine)`;
}

function expandHome(p: string, home: string | undefined): string {
  if (home && (p === "~" || p.startsWith("~/"))) return home + p.slice(1);
  return p;
}

/**
 * Check a manifest's shape (third-party manifests are untrusted data). Only
 * `opts.builtin` manifests may ask for the kinds in BUILTIN_ONLY_KINDS.
 */
export function validateManifest(
  m: unknown,
  source: string,
  opts: { builtin?: boolean } = {},
): PluginManifest {
  const bad = (why: string): never => {
    throw new ConfigError(`plugin manifest in '${source}' is invalid: ${why}`);
  };
  if (!m || typeof m !== "object") bad("not an object");
  const o = m as Record<string, unknown>;
  if (typeof o.name !== "string" || !/^[a-z][a-z0-9_-]*$/.test(o.name)) {
    bad("'name' must be a lower-case identifier");
  }
  if (o.apiVersion !== PLUGIN_API_VERSION) {
    bad(`'apiVersion' must be ${PLUGIN_API_VERSION} (got ${JSON.stringify(o.apiVersion)})`);
  }
  if (o.kind !== "remote" && o.kind !== "runner") bad('\'kind\' must be "remote" or "runner"');
  if (o.schemes !== undefined) {
    if (!Array.isArray(o.schemes) || o.schemes.some((s) => typeof s !== "string")) {
      bad("'schemes' must be a list of strings");
    }
  }
  const perms = o.permissions;
  if (!perms || typeof perms !== "object") bad("'permissions' must be an object");
  for (const [k, v] of Object.entries(perms as Record<string, unknown>)) {
    if (!PERMISSION_KINDS.includes(k as PermissionKind)) {
      bad(`unknown permission '${k}' (allowed: ${PERMISSION_KINDS.join(", ")})`);
    }
    if (!opts.builtin && BUILTIN_ONLY_KINDS.includes(k as PermissionKind)) {
      bad(builtinOnlyReason(k));
    }
    const ok = Array.isArray(v) && v.every((e) =>
      typeof e === "string" ||
      (Array.isArray(e) && e.every((x) => typeof x === "string"))
    );
    if (!ok) bad(`permission '${k}' must be a list of strings`);
  }
  return o as unknown as PluginManifest;
}
