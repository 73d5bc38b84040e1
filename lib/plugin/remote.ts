/**
 * Host-side handle on a remote: picks the plugin for the remote's URL, starts
 * it with its permissions, and exposes the remote contract as typed methods.
 */
import { CairnError, ConfigError } from "../errors.ts";
import { NoSymlinks, SymlinkRefusedError } from "./no_symlinks.ts";
import { PluginError, type PluginHandle, startPlugin, type StartPluginOptions } from "./loader.ts";
import type { PermissionKind } from "./manifest.ts";
import { PluginRegistry } from "./registry.ts";
import type {
  GetItem,
  GetOptions,
  ItemResult,
  ListEntry,
  PutItem,
  RemoteInfo,
  WireError,
} from "./remote_api.ts";

/** A remote's config section as DVC stores it (`url`, `endpointurl`, `user`, ...). */
export type RemoteConfig = Record<string, string>;

export interface OpenRemoteOptions {
  /** the remote's name (for messages). */
  name?: string;
  /** the repo's cache dir: the plugin may read (push) and write (fetch temp files) there. */
  cacheDir?: string;
  registry?: PluginRegistry;
  /** extra grants the user gave this plugin on top of its manifest. */
  grants?: Partial<Record<PermissionKind, string[]>>;
  /** environment for `{env.NAME}` placeholders (default Deno.env). */
  env?: Record<string, string | undefined>;
  grantHint?: string;
}

/** The remote contract, host side. Methods throw CairnErrors naming the plugin. */
export class Remote {
  readonly name: string;
  readonly config: RemoteConfig;
  readonly info: RemoteInfo;
  readonly plugin: PluginHandle;
  #progress = new Set<(key: string, bytes: number) => void>();
  /** cache paths handed to the plugin must not pass through symlinks (lib/plugin/no_symlinks.ts). */
  #cache?: NoSymlinks;
  /** further instances of the plugin for large transfers (see widen()). */
  #extra: PluginHandle[] = [];
  #next = 0;
  #start?: () => Promise<PluginHandle>;
  #widening?: Promise<void>;

  constructor(
    name: string,
    config: RemoteConfig,
    plugin: PluginHandle,
    info: RemoteInfo,
    cacheDir?: string,
  ) {
    this.name = name;
    this.config = config;
    this.plugin = plugin;
    this.info = info;
    if (cacheDir) this.#cache = new NoSymlinks(cacheDir);
  }

  /** @internal openRemote's way of starting another instance with the same grants. */
  setStarter(start: () => Promise<PluginHandle>): void {
    this.#start = start;
  }

  /**
   * Run up to `n` instances of the plugin (each its own Worker, same grants),
   * at most what the plugin allows (`info.instances`); get/put batches are
   * then spread over them. For large transfers: an instance costs a Worker start.
   */
  widen(n: number): Promise<void> {
    const want = Math.min(n, this.info.instances ?? 1) - 1 - this.#extra.length;
    if (want <= 0 || !this.#start || this.#widening) return this.#widening ?? Promise.resolve();
    const start = this.#start;
    this.#widening = (async () => {
      for (let i = 0; i < want; i++) this.#extra.push(await start());
    })().finally(() => this.#widening = undefined);
    return this.#widening;
  }

  /** How many instances of the plugin are running. */
  get instances(): number {
    return 1 + this.#extra.length;
  }

  /** The instance for the next get/put batch (round robin). */
  #pick(): PluginHandle {
    if (!this.#extra.length) return this.plugin;
    const i = this.#next++ % (this.#extra.length + 1);
    return i === 0 ? this.plugin : this.#extra[i - 1];
  }

  /**
   * The plugin's grant on the cache is a path prefix (Deno's check), so a
   * symlink planted inside the cache would let it read or write elsewhere:
   * refuse such paths before handing them over.
   */
  #checkLocal(paths: string[], opts: { parentsOnly?: boolean } = {}): void {
    for (const p of paths) this.#checkOne(p, opts.parentsOnly);
  }

  /** The check for one path; the last component's lstat when it was looked at. */
  #checkOne(p: string, parentsOnly = false): Deno.FileInfo | undefined {
    const c = this.#cache;
    if (!c || !p.startsWith(c.root + "/")) return undefined;
    try {
      const rel = p.slice(c.root.length + 1);
      if (parentsOnly) {
        c.check(rel, { parentsOnly });
        return undefined;
      }
      return c.checkStat(rel).info;
    } catch (err) {
      if (!(err instanceof SymlinkRefusedError)) throw err;
      throw new CairnError(`remote '${this.name}': ${err.message}`, { hint: err.hint });
    }
  }

  /** @internal called by the loader for plugin progress events. */
  emitProgress(key: string, bytes: number): void {
    for (const f of this.#progress) f(key, bytes);
  }

  /** Subscribe to per-item byte progress; returns the unsubscribe function. */
  onProgress(f: (key: string, bytes: number) => void): () => void {
    this.#progress.add(f);
    return () => this.#progress.delete(f);
  }

  exists(keys: string[]): Promise<boolean[]> {
    return keys.length ? this.plugin.call("exists", [keys]) : Promise.resolve([]);
  }
  list(prefix = ""): Promise<string[]> {
    return this.plugin.call("list", [prefix]);
  }
  /** Keys with sizes (and empty folders) where the plugin knows them; plain keys otherwise. */
  async listEntries(prefix = ""): Promise<ListEntry[]> {
    try {
      return await this.plugin.call<ListEntry[]>("listEntries", [prefix]);
    } catch (err) {
      if (!(err instanceof PluginError && err.wire.code === "EUNSUPPORTED")) throw err;
    }
    return (await this.list(prefix)).map((key) => ({ key }));
  }
  async get(items: GetItem[], opts?: GetOptions): Promise<ItemResult[]> {
    // temp names the host made up: the plugin creates them, so only their folders are checked
    this.#checkLocal(items.map((i) => i.dest), { parentsOnly: true });
    if (!items.length) return [];
    return await this.#pick().call("get", opts ? [items, opts] : [items]);
  }
  /**
   * Upload items. `opts.lstatted`: an item carrying `size` and `mode` comes from
   * the caller's own lstat of `src`, just now, which found a regular file (not a
   * symlink): only its folders are checked here, without a second lstat.
   */
  async put(items: PutItem[], opts: { lstatted?: boolean } = {}): Promise<ItemResult[]> {
    this.#requireWrite();
    // The check's lstat tells the plugin the size and mode, so it need not stat again.
    const sent = items.map((it): PutItem => {
      if (opts.lstatted && it.size !== undefined && it.mode !== undefined) {
        this.#checkOne(it.src, true);
        return it;
      }
      const info = this.#checkOne(it.src);
      return info?.isFile ? { ...it, size: info.size, mode: info.mode ?? undefined } : it;
    });
    return items.length ? await this.#pick().call("put", [sent]) : [];
  }
  remove(keys: string[]): Promise<ItemResult[]> {
    this.#requireWrite();
    return keys.length ? this.plugin.call("remove", [keys]) : Promise.resolve([]);
  }
  /** A small object's bytes (null: absent); over `maxBytes` a RemoteError, not read whole. */
  readBytes(key: string, maxBytes?: number): Promise<Uint8Array | null> {
    return this.plugin.call("readBytes", maxBytes === undefined ? [key] : [key, maxBytes]);
  }
  /** Store a small object. `data`'s buffer is transferred to the plugin: it is detached here. */
  writeBytes(key: string, data: Uint8Array): Promise<void> {
    this.#requireWrite();
    return this.plugin.call("writeBytes", [key, data]);
  }

  /** CairnError for a failed item's WireError (permission errors name the grant). */
  itemError(error: WireError): CairnError {
    return this.plugin.wireError(error);
  }

  #requireWrite(): void {
    if (!this.info.write) {
      throw new ConfigError(
        `remote '${this.name}' (${this.info.location}) is read-only`,
        {
          hint: this.config.url?.startsWith("http")
            ? "use a webdav:// or webdavs:// URL to write to an HTTP server that speaks WebDAV"
            : undefined,
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.#widening?.catch(() => {});
    for (const p of [this.plugin, ...this.#extra]) {
      try {
        await p.call("close", []);
      } catch { /* closing a broken plugin is best effort */ }
      p.close();
    }
    this.#extra = [];
  }
}

/** Start the plugin for `config.url` and return a connected-on-demand Remote. */
export async function openRemote(
  config: RemoteConfig,
  opts: OpenRemoteOptions = {},
): Promise<Remote> {
  const name = opts.name ?? "remote";
  if (!config.url) {
    throw new ConfigError(`remote '${name}' has no url`, {
      hint: `cairn remote modify ${name} url URL`,
    });
  }
  const registry = opts.registry ?? new PluginRegistry();
  const spec = registry.forUrl(config.url);
  const holder: { remote?: Remote } = {};
  const startOpts: StartPluginOptions = {
    remote: config,
    config,
    cacheDir: opts.cacheDir,
    env: opts.env,
    grants: opts.grants,
    remoteName: name,
    grantHint: opts.grantHint,
    onProgress: (key, bytes) => holder.remote?.emitProgress(key, bytes),
  };
  const plugin = await startPlugin(spec, startOpts);
  holder.remote = new Remote(name, config, plugin, plugin.info as RemoteInfo, opts.cacheDir);
  holder.remote.setStarter(() => startPlugin(spec, startOpts));
  return holder.remote;
}
