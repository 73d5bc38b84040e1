/**
 * Starts a plugin in a Worker with exactly the permissions its manifest
 * declares (placeholders filled from the remote's config), and turns the
 * plugin's failures into CairnErrors that name the plugin. Needs
 * `--unstable-worker-options` (deno.json: "unstable": ["worker-options"]).
 */
import { dirname, fromFileUrl as fileURLToPath } from "../path.ts";
import { CairnError, ConfigError } from "../errors.ts";
import {
  BUILTIN_ONLY_KINDS,
  builtinOnlyReason,
  configKeysFor,
  type PermissionKind,
  placeholderValues,
  type PluginManifest,
  realPathLenient,
  type ResolvedPermissions,
  type ResolveOptions,
  resolvePermissions,
  validateManifest,
} from "./manifest.ts";
import { RpcClient, RpcClosedError, RpcRemoteError } from "./rpc.ts";
import { workerEntry } from "./builtins.ts";
import { requireTrusted } from "./trust.ts";
import type { WireError } from "./remote_api.ts";
import { nativeLibValues } from "./native_grant.ts";

export interface PluginSpec {
  manifest: PluginManifest;
  /** URL of the module exporting `create()`. */
  module: string;
  builtin: boolean;
  /** where the plugin came from (for messages): "built-in" or a path. */
  source: string;
}

/** A plugin reached for something outside its grant. */
export class PluginPermissionError extends CairnError {
  plugin: string;
  permission: string;
  target: string;
  constructor(plugin: string, permission: string, target: string, hint: string) {
    super(
      `plugin '${plugin}' was denied ${permission} access to '${target}': ` +
        `its manifest does not grant it`,
      { hint },
    );
    this.plugin = plugin;
    this.permission = permission;
    this.target = target;
  }
}

/** Any other failure reported by a plugin, with the plugin's own flags kept. */
export class PluginError extends CairnError {
  plugin: string;
  wire: WireError;
  constructor(plugin: string, wire: WireError, prefix = "") {
    super(`${prefix}${wire.message}`, { hint: wire.hint });
    this.plugin = plugin;
    this.wire = wire;
  }
}

export interface StartPluginOptions extends ResolveOptions {
  /** the remote's name, for messages and hints. */
  remoteName?: string;
  /** the config handed to the plugin's `create()` (default: opts.remote). */
  config?: Record<string, string>;
  /** progress events from the plugin (bytes of a long item). */
  onProgress?: (key: string, bytes: number) => void;
  /** how the user adds a grant by hand, shown in permission errors. */
  grantHint?: string;
}

const DENIED = /Requires (\w+) access to "?([^",]*)"?/;

function describeGrant(list: string[]): string {
  return list.length ? list.join(", ") : "nothing";
}

/** Translate an error from the worker into a CairnError naming the plugin. */
export function pluginError(
  wire: WireError,
  spec: PluginSpec,
  permissions: ResolvedPermissions,
  opts: StartPluginOptions = {},
): CairnError {
  const name = spec.manifest.name;
  const m = wire.name === "NotCapable" ? DENIED.exec(wire.message) : null;
  if (m) {
    const kind = m[1];
    const target = m[2];
    const granted = permissions[kind as PermissionKind] ?? [];
    const keys = PERMISSION_KIND_SET.has(kind)
      ? configKeysFor(spec.manifest, kind as PermissionKind)
      : [];
    const remote = opts.remoteName ?? "NAME";
    const parts: string[] = [`it has ${kind}: ${describeGrant(granted)}.`];
    const cfg = keys.filter((k) => !k.startsWith("$"));
    const envs = keys.filter((k) => k.startsWith("$")).map((k) => k.slice(1));
    if (cfg.length) {
      parts.push(
        `The grant follows the remote's config: set ${cfg.map((k) => `'${k}'`).join(" or ")} ` +
          `(cairn remote modify ${remote} ${cfg[0]} VALUE)` +
          (envs.length ? ` or the env var ${envs.join(" / ")}` : "") + ".",
      );
    } else if (envs.length) parts.push(`The grant follows the env var ${envs.join(" / ")}.`);
    if (opts.grantHint) parts.push(opts.grantHint);
    else if (!spec.builtin) {
      parts.push(`A project plugin declares what it needs in its manifest (${spec.source}).`);
    }
    return new PluginPermissionError(name, kind, target, parts.join(" "));
  }
  return new PluginError(name, wire, opts.remoteName ? `remote '${opts.remoteName}': ` : "");
}

const PERMISSION_KIND_SET = new Set<string>(["read", "write", "net", "env", "run", "ffi"]);

/** Deno's Worker permission object: every kind explicit, since omitted ones inherit. */
export function workerPermissions(p: ResolvedPermissions): Deno.PermissionOptionsObject {
  const list = (l: string[]) => (l.length ? l : false);
  return {
    read: list(p.read),
    write: list(p.write),
    net: list(p.net),
    env: list(p.env),
    run: list(p.run),
    // library paths (built-in plugins only: startPlugin refuses it for others)
    ffi: list(p.ffi ?? []),
    sys: false,
    import: false,
  } as Deno.PermissionOptionsObject;
}

const NO_PERMISSIONS = {
  read: false,
  write: false,
  net: false,
  env: false,
  run: false,
  ffi: false,
  sys: false,
  import: false,
};

function newWorker(
  name: string,
  permissions: Deno.PermissionOptionsObject | "none",
  module?: string,
): Worker {
  return new Worker(workerEntry(module), {
    type: "module",
    name: `plugin:${name}`,
    deno: { permissions },
  } as WorkerOptions);
}

/** A running plugin. */
export class PluginHandle {
  readonly spec: PluginSpec;
  readonly permissions: ResolvedPermissions;
  readonly info: unknown;
  #rpc: RpcClient;
  #opts: StartPluginOptions;

  constructor(
    spec: PluginSpec,
    permissions: ResolvedPermissions,
    rpc: RpcClient,
    info: unknown,
    opts: StartPluginOptions,
  ) {
    this.spec = spec;
    this.permissions = permissions;
    this.#rpc = rpc;
    this.info = info;
    this.#opts = opts;
  }

  get name(): string {
    return this.spec.manifest.name;
  }

  /** Call a plugin method; failures become CairnErrors naming the plugin. */
  async call<R>(method: string, args: unknown[]): Promise<R> {
    try {
      return await this.#rpc.call<R>(method, args);
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** CairnError for a thrown error or a per-item WireError. */
  translate(err: unknown): CairnError {
    if (err instanceof CairnError) return err;
    if (err instanceof RpcRemoteError) {
      return pluginError(err.wire, this.spec, this.permissions, this.#opts);
    }
    if (err instanceof RpcClosedError) {
      return new PluginError(this.name, {
        name: "PluginCrashed",
        message: `plugin '${this.name}' stopped: ${err.message}`,
        fatal: true,
      });
    }
    const msg = err instanceof Error ? err.message : String(err);
    return new CairnError(`plugin '${this.name}': ${msg}`, { cause: err });
  }

  wireError(wire: WireError): CairnError {
    return pluginError(wire, this.spec, this.permissions, this.#opts);
  }

  close(): void {
    this.#rpc.terminate();
  }
}

/** Start `spec` in a Worker with its manifest's permissions filled from `opts`. */
export async function startPlugin(
  spec: PluginSpec,
  opts: StartPluginOptions = {},
): Promise<PluginHandle> {
  // Native code is beyond Deno's permissions: only cairn's own plugins get it (trusted or not).
  for (const k of BUILTIN_ONLY_KINDS) {
    if (
      !spec.builtin && (spec.manifest.permissions[k] ?? []).length + (opts.grants?.[k] ?? []).length
    ) {
      throw new ConfigError(
        `plugin manifest in '${spec.source}' is invalid: ${builtinOnlyReason(k)}`,
      );
    }
  }
  // A project plugin runs only with the user's trust in exactly this code (lib/plugin/trust.ts).
  if (!spec.builtin) requireTrusted(spec);
  // `{libc}` in a built-in's ffi entries: the path this process may hand on (else dropped).
  const nativeLibs = spec.builtin && (spec.manifest.permissions.ffi ?? []).length
    ? nativeLibValues(opts.env)
    : {};
  const permissions = resolvePermissions(spec.manifest, {
    ...opts,
    extra: { ...opts.extra, ...nativeLibs },
  });
  // A non-built-in plugin is imported by URL inside the Worker: that needs read access
  // to its own folder (its code, nothing else).
  if (!spec.builtin && spec.module.startsWith("file:")) {
    const dir = dirname(fileURLToPath(spec.module));
    if (!permissions.read.includes(dir)) permissions.read.push(dir);
  }
  let worker: Worker;
  try {
    worker = newWorker(spec.manifest.name, workerPermissions(permissions), spec.module);
  } catch (err) {
    throw new CairnError(
      `cannot start plugin '${spec.manifest.name}': ${(err as Error).message}`,
      {
        cause: err,
        hint: /unstable/i.test(String(err))
          ? 'run with --unstable-worker-options (deno.json: "unstable": ["worker-options"])'
          : undefined,
      },
    );
  }
  const rpc = new RpcClient(worker, (n, d) => {
    if (n === "progress" && opts.onProgress) {
      const { key, bytes } = d as { key: string; bytes: number };
      opts.onProgress(key, bytes);
    }
  });
  const values = placeholderValues(opts);
  const scheme = values["remote.url.scheme"];
  const remotePath = !scheme || scheme === "file" ? values["remote.path"] : undefined;
  const ctx = {
    remoteName: opts.remoteName,
    cacheDir: opts.cacheDir,
    home: opts.env ? opts.env.HOME : Deno.env.get("HOME"),
    realPaths: remotePath ? { "remote.path": realPathLenient(remotePath) } : {},
    // the libraries granted (paths as granted: Deno matches dlopen's argument as a string)
    nativeLibs: Object.fromEntries(
      Object.entries(nativeLibs).filter(([, p]) => permissions.ffi.includes(p)),
    ),
    // A project plugin's Worker refuses paths through symlinks leading out (lib/plugin/fs_guard.ts).
    fsGuard: spec.builtin ? undefined : { read: permissions.read, write: permissions.write },
  };
  let ready: { ok: boolean; info?: unknown; error?: WireError };
  try {
    ready = await rpc.start({
      t: "init",
      module: spec.module,
      config: opts.config ?? opts.remote ?? {},
      ctx,
    }) as typeof ready;
  } catch (err) {
    rpc.terminate();
    throw new CairnError(
      `plugin '${spec.manifest.name}' failed to start: ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!ready.ok) {
    rpc.terminate();
    throw pluginError(ready.error!, spec, permissions, opts);
  }
  return new PluginHandle(spec, permissions, rpc, ready.info, opts);
}

/** How long reading a plugin's manifest may take (it is static data). */
const MANIFEST_TIMEOUT_MS = 10_000;

/**
 * Read a third-party plugin's manifest without trusting it: its module is
 * imported in a Worker that has no permissions at all.
 */
export async function readManifest(moduleUrl: string, source: string): Promise<PluginManifest> {
  const dir = moduleUrl.startsWith("file:") ? dirname(fileURLToPath(moduleUrl)) : undefined;
  const worker = newWorker(
    "manifest",
    dir ? { ...NO_PERMISSIONS, read: [dir] } as Deno.PermissionOptionsObject : "none",
  );
  const rpc = new RpcClient(worker);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // An untrusted manifest.ts runs here (with no permissions): one that never
    // finishes loading must not hang every command that lists plugins.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() =>
        reject(
          new ConfigError(
            `cannot load plugin from '${source}': its manifest did not load within ` +
              `${MANIFEST_TIMEOUT_MS / 1000} s`,
            { hint: "a manifest.ts exports plain data and does no work" },
          ),
        ), MANIFEST_TIMEOUT_MS);
    });
    const res = await Promise.race([
      rpc.start({ t: "manifest", module: moduleUrl }),
      timeout,
    ]) as {
      ok: boolean;
      manifest?: unknown;
      error?: WireError;
    };
    if (!res.ok) {
      throw new ConfigError(`cannot load plugin from '${source}': ${res.error?.message}`);
    }
    return validateManifest(res.manifest, source);
  } catch (err) {
    if (err instanceof CairnError) throw err;
    throw new ConfigError(`cannot load plugin from '${source}': ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
    rpc.terminate();
  }
}
