/**
 * HTTP(S) and WebDAV(S) remote over fetch. `http(s)://` is read-only, as in
 * DVC (HEAD for existence, GET to download; no listing). `webdav(s)://` maps
 * to http(s) and adds PUT (to a temp name, then MOVE into place so a cut
 * connection never leaves a partial object under its real name), DELETE,
 * MKCOL and PROPFIND listings (Depth: 1, walked recursively, since many
 * servers refuse Depth: infinity).
 */
import type {
  CreateRemote,
  GetItem,
  GetOptions,
  ItemResult,
  ListEntry,
  PluginContext,
  PutItem,
  RemoteImpl,
  RemoteInfo,
} from "../../lib/plugin/remote_api.ts";
import { mapLimit, RemoteError, toWireError } from "../../lib/plugin/remote_api.ts";
import { readCapped } from "../_read_capped.ts";
import { saveBody } from "../../lib/plugin/http_download.ts";
import { KeepAlivePool, type RawResponse, TooLarge } from "./keepalive.ts";
import { TimedFetch } from "../_timed_fetch.ts";

const MiB = 1024 * 1024;
/** Uploads up to this size are sent with a Content-Length from memory; larger ones stream. */
const IN_MEMORY_UPLOAD = 64 * MiB;
/** Items of one batch in flight (a batch holds at most 16 MiB of small objects). */
const ITEMS_IN_FLIGHT = 4;
/**
 * Objects up to this size go up and come down through the kept-alive client
 * (./keepalive.ts, plain http only); larger ones, and anything else, via fetch.
 */
const SMALL_OBJECT = 1 * MiB;

function encodePath(p: string): string {
  return p.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  ).join("/");
}

let tmpCounter = 0;
function tempKey(key: string): string {
  const slash = key.lastIndexOf("/");
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${key.slice(0, slash + 1)}.${key.slice(slash + 1)}.${++tmpCounter}${rand}.tmp`;
}

class HttpRemote implements RemoteImpl {
  #base: URL;
  #dav: boolean;
  #headers: Record<string, string> = {};
  #ctx: PluginContext;
  #http: TimedFetch;
  #dirs = new Set<string>();
  #readTimeout: number;
  #pool: KeepAlivePool | undefined;
  /** the kept-alive client has had an answer (else a failure may be its own, see #raw). */
  #poolAnswered = false;

  constructor(config: Record<string, string>, ctx: PluginContext) {
    const m = /^(https?|webdavs?):\/\/(.*)$/i.exec(config.url);
    if (!m) throw new RemoteError(`invalid http/webdav url '${config.url}'`, { fatal: true });
    const scheme = m[1].toLowerCase();
    this.#dav = scheme.startsWith("webdav");
    const proto = scheme === "webdavs" || scheme === "https" ? "https" : "http";
    let base: URL;
    try {
      base = new URL(`${proto}://${m[2]}`);
    } catch (err) {
      if (!(err instanceof TypeError)) throw err;
      throw new RemoteError(`invalid url '${config.url}'`, { fatal: true });
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    if (base.username || base.password) {
      config = {
        user: decodeURIComponent(base.username),
        password: decodeURIComponent(base.password),
        ...config,
      };
      base.username = "";
      base.password = "";
    }
    this.#base = base;
    if (base.protocol === "http:") this.#pool = new KeepAlivePool(base);
    this.#ctx = ctx;
    const origin = base.origin;
    this.#http = new TimedFetch(Number(config.connect_timeout ?? 60), {
      unreachable: (_url, msg) => `cannot reach ${origin}: ${msg}`,
      failed: (_url, msg) => `request to ${origin} failed: ${msg}`,
    });
    this.#readTimeout = Number(config.read_timeout ?? 300);
    if (config.custom_auth_header && config.password) {
      this.#headers[config.custom_auth_header] = config.password;
    } else if (config.token) {
      this.#headers.Authorization = `Bearer ${config.token}`;
    } else if (config.user && config.password !== undefined) {
      this.#headers.Authorization = `Basic ${btoa(`${config.user}:${config.password}`)}`;
    }
  }

  info(): RemoteInfo {
    return {
      write: this.#dav,
      traverse: this.#dav,
      listPageSize: 1000,
      location: `${this.#dav ? "webdav" : "http"}:${this.#base.href.replace(/^https?:/, "")}`,
    };
  }

  #url(key: string): string {
    if (key.split("/").includes("..")) throw new RemoteError(`invalid key '${key}'`);
    return new URL(encodePath(key), this.#base).href;
  }

  #fetch(url: string, init: RequestInit = {}, bodyBytes = 0): Promise<Response> {
    const headers = { ...this.#headers, ...init.headers };
    return this.#http.fetch(url, { ...init, headers }, bodyBytes, fetch);
  }

  /** A request through the kept-alive client, its failures mapped as #fetch maps fetch's. */
  async #raw(
    method: string,
    url: string,
    opts: { headers?: Record<string, string>; body?: Uint8Array; maxBody?: number } = {},
  ): Promise<RawResponse> {
    if (!this.#pool) return await this.#viaFetch(method, url, opts);
    const u = new URL(url);
    const bodyBytes = opts.body?.length ?? 0;
    try {
      const res = await this.#pool.request(
        method,
        u.pathname + u.search,
        { ...this.#headers, ...opts.headers },
        opts.body,
        {
          maxBody: opts.maxBody ?? 64 * 1024,
          responseTimeout: this.#http.limitMs(bodyBytes),
          bodyTimeout: this.#readTimeout * 1000,
        },
      );
      this.#http.connected();
      this.#poolAnswered = true;
      return res;
    } catch (err) {
      if (err instanceof TooLarge || (err as Error)?.name === "NotCapable") throw err;
      const msg = (err as Error)?.message ?? String(err);
      if (!this.#poolAnswered) {
        // Never reached the server directly: perhaps only through a proxy that fetch
        // knows of (HTTP_PROXY). From now on everything goes through fetch.
        this.#pool?.close();
        this.#pool = undefined;
        return await this.#viaFetch(method, url, opts);
      }
      throw new RemoteError(`request to ${this.#base.origin} failed: ${msg}`, {
        transient: true,
        code: "ECONNRESET",
      });
    }
  }

  /** #raw's request through fetch (no kept-alive client, or it could not connect). */
  async #viaFetch(
    method: string,
    url: string,
    opts: { headers?: Record<string, string>; body?: Uint8Array; maxBody?: number },
  ): Promise<RawResponse> {
    const body = opts.body as Uint8Array<ArrayBuffer> | undefined;
    const res = await this.#fetch(url, { method, headers: opts.headers, body }, body?.length ?? 0);
    const len = Number(res.headers.get("content-length") ?? NaN);
    if (len > (opts.maxBody ?? 64 * 1024)) {
      await res.body?.cancel();
      throw new TooLarge(res.status, len);
    }
    const headers = new Map<string, string>();
    res.headers.forEach((v, k) => headers.set(k, v));
    return { status: res.status, statusText: res.statusText, headers, body: await res.bytes() };
  }

  async #error(res: Response, what: string): Promise<RemoteError> {
    await res.body?.cancel();
    return this.#statusError(res.status, res.statusText, what);
  }

  #statusError(status: number, statusText: string, what: string): RemoteError {
    const res = { status, statusText };
    if (res.status === 401 || res.status === 403) {
      return new RemoteError(`${what}: ${res.status} ${res.statusText}`, {
        fatal: true,
        code: "EAUTH",
        hint: "set the remote's user and password (cairn remote modify --local NAME password ...)",
      });
    }
    if (res.status === 404) {
      return new RemoteError(`${what}: not found`, { notFound: true, code: "ENOENT" });
    }
    if (res.status === 405 || res.status === 501) {
      return new RemoteError(`${what}: the server does not allow it (${res.status})`, {
        fatal: true,
        code: "EUNSUPPORTED",
        hint: this.#dav ? undefined : "http:// remotes are read-only; use webdav:// to write",
      });
    }
    const transient = res.status >= 500 || res.status === 429 || res.status === 408;
    return new RemoteError(`${what}: ${res.status} ${res.statusText}`, { transient });
  }

  #requireDav(what: string): void {
    if (!this.#dav) {
      throw new RemoteError(`${what} is not supported on an http:// remote (read-only)`, {
        fatal: true,
        code: "EUNSUPPORTED",
        hint: "use a webdav:// or webdavs:// URL if the server speaks WebDAV",
      });
    }
  }

  async exists(keys: string[]): Promise<boolean[]> {
    return await mapLimit(keys, 8, async (k) => {
      const res = await this.#fetch(this.#url(k), { method: "HEAD" });
      await res.body?.cancel();
      if (res.ok) return true;
      if (res.status === 404) return false;
      throw await this.#error(res, `HEAD ${k}`);
    });
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.#walk(prefix, false)).map((e) => e.key);
  }

  listEntries(prefix: string): Promise<ListEntry[]> {
    return this.#walk(prefix, true);
  }

  /** Files below `prefix` by PROPFIND (with sizes and empty folders when `detail`). */
  async #walk(prefix: string, detail: boolean): Promise<ListEntry[]> {
    this.#requireDav("listing");
    const out: ListEntry[] = [];
    const basePath = decodeURIComponent(this.#base.pathname);
    const props = detail ? "<resourcetype/><getcontentlength/>" : "<resourcetype/>";
    const walk = async (rel: string): Promise<void> => {
      const url = rel ? `${this.#url(rel)}/` : this.#base.href;
      const res = await this.#fetch(url, {
        method: "PROPFIND",
        headers: { Depth: "1", "Content-Type": "application/xml" },
        body: '<?xml version="1.0" encoding="utf-8"?>' +
          `<propfind xmlns="DAV:"><prop>${props}</prop></propfind>`,
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return;
      }
      if (res.status !== 207 && !res.ok) throw await this.#error(res, `PROPFIND ${rel || "/"}`);
      const xml = await res.text();
      const subdirs: string[] = [];
      let children = 0;
      for (const m of xml.matchAll(/<(?:[\w-]+:)?response\b[\s\S]*?<\/(?:[\w-]+:)?response>/g)) {
        const block = m[0];
        const href = /<(?:[\w-]+:)?href>([^<]*)<\/(?:[\w-]+:)?href>/.exec(block)?.[1];
        if (!href) continue;
        let path = decodeURIComponent(new URL(href.trim().replace(/&amp;/g, "&"), url).pathname);
        const isDir = /<(?:[\w-]+:)?collection\s*\/?>/.test(block);
        if (!path.startsWith(basePath)) continue;
        path = path.slice(basePath.length).replace(/\/+$/, "");
        if (path === rel || path === "") continue;
        children++;
        if (isDir) subdirs.push(path);
        else if (!detail) out.push({ key: path });
        else {
          const len = /<(?:[\w-]+:)?getcontentlength>\s*(\d+)\s*</.exec(block)?.[1];
          out.push(len === undefined ? { key: path } : { key: path, size: Number(len) });
        }
      }
      if (detail && rel && !children) out.push({ key: rel, dir: true });
      await mapLimit(subdirs, 8, walk);
    };
    await walk(prefix.replace(/\/+$/, ""));
    return out;
  }

  async get(items: GetItem[], opts: GetOptions = {}): Promise<ItemResult[]> {
    const inlineMax = opts.inlineMax ?? -1;
    return await mapLimit(items, ITEMS_IN_FLIGHT, async (it): Promise<ItemResult> => {
      try {
        return await this.#download(it, inlineMax);
      } catch (err) {
        return { ok: false, error: toWireError(err) };
      }
    });
  }

  /** One object into `it.dest`, or back as bytes when it is at most `inlineMax` (the host lands it). */
  async #download(it: GetItem, inlineMax: number): Promise<ItemResult> {
    if (this.#pool) {
      try {
        const r = await this.#raw("GET", this.#url(it.key), { maxBody: SMALL_OBJECT });
        if (r.status !== 200) throw this.#statusError(r.status, r.statusText, `GET ${it.key}`);
        if (r.body.length <= inlineMax) return { ok: true, bytes: r.body.length, data: r.body };
        await Deno.writeFile(it.dest, r.body);
        return { ok: true, bytes: r.body.length };
      } catch (err) {
        if (!(err instanceof TooLarge)) throw err;
        // a big object: streamed to the file by fetch below
      }
    }
    const res = await this.#fetch(this.#url(it.key));
    if (!res.ok) throw await this.#error(res, `GET ${it.key}`);
    return await saveBody(res, it.dest, {
      key: it.key,
      abort: this.#http.abortOf(res),
      readTimeout: this.#readTimeout,
      progress: (k, n) => this.#ctx.progress(k, n),
      inlineMax,
    });
  }

  async #mkcol(dirKey: string): Promise<void> {
    if (!dirKey || this.#dirs.has(dirKey)) return;
    const parent = dirKey.includes("/") ? dirKey.slice(0, dirKey.lastIndexOf("/")) : "";
    let res = await this.#fetch(`${this.#url(dirKey)}/`, { method: "MKCOL" });
    if (res.status === 409 && parent) {
      await res.body?.cancel();
      await this.#mkcol(parent);
      res = await this.#fetch(`${this.#url(dirKey)}/`, { method: "MKCOL" });
    }
    // 405: already exists.
    if (!res.ok && res.status !== 405) throw await this.#error(res, `MKCOL ${dirKey}`);
    await res.body?.cancel();
    this.#dirs.add(dirKey);
  }

  /** PUT of a small object held in memory, through the kept-alive client. */
  async #putSmall(key: string, data: Uint8Array): Promise<void> {
    const url = this.#url(key);
    const headers = { "Content-Type": "application/octet-stream" };
    let res = await this.#raw("PUT", url, { headers, body: data });
    if (res.status === 409) {
      // Parent collection missing on a server without create_full_put_path.
      await this.#mkcol(key.slice(0, key.lastIndexOf("/")));
      res = await this.#raw("PUT", url, { headers, body: data });
    }
    if (res.status < 200 || res.status > 299) {
      throw this.#statusError(res.status, res.statusText, `PUT ${key} (${data.length} bytes)`);
    }
  }

  async #putBody(key: string, body: () => Promise<BodyInit>, size: number): Promise<void> {
    const url = this.#url(key);
    const headers: Record<string, string> = { "Content-Type": "application/octet-stream" };
    let res = await this.#fetch(url, { method: "PUT", body: await body(), headers }, size);
    if (res.status === 409) {
      // Parent collection missing on a server without create_full_put_path.
      await res.body?.cancel();
      const dir = key.slice(0, key.lastIndexOf("/"));
      await this.#mkcol(dir);
      res = await this.#fetch(url, { method: "PUT", body: await body(), headers }, size);
    }
    if (!res.ok) throw await this.#error(res, `PUT ${key} (${size} bytes)`);
    await res.body?.cancel();
  }

  async #move(from: string, to: string): Promise<void> {
    if (this.#pool) {
      const what = `MOVE ${from} -> ${to}`;
      const r = await this.#raw("MOVE", this.#url(from), {
        headers: { Destination: this.#url(to), Overwrite: "T" },
      });
      // 404: the temp object is gone, e.g. a MOVE sent again after its connection dropped
      // had already been done: the whole upload is retried.
      if (r.status === 404) throw new RemoteError(`${what}: source gone`, { transient: true });
      if (r.status < 200 || r.status > 299) throw this.#statusError(r.status, r.statusText, what);
      return;
    }
    const res = await this.#fetch(this.#url(from), {
      method: "MOVE",
      headers: { Destination: this.#url(to), Overwrite: "T" },
    });
    if (!res.ok) throw await this.#error(res, `MOVE ${from} -> ${to}`);
    await res.body?.cancel();
  }

  async put(items: PutItem[]): Promise<ItemResult[]> {
    this.#requireDav("upload");
    // A few items in flight: small objects are latency-bound.
    return await mapLimit(items, ITEMS_IN_FLIGHT, async (it): Promise<ItemResult> => {
      const tmp = tempKey(it.key);
      try {
        const size = it.size ?? (await Deno.stat(it.src)).size;
        if (this.#pool && size <= SMALL_OBJECT) {
          const data = await Deno.readFile(it.src);
          await this.#putSmall(tmp, data);
          await this.#move(tmp, it.key);
          return { ok: true, bytes: data.length };
        }
        const body = async (): Promise<BodyInit> => {
          if (size <= IN_MEMORY_UPLOAD) {
            return (await Deno.readFile(it.src)) as Uint8Array<ArrayBuffer>;
          }
          const f = await Deno.open(it.src, { read: true });
          return f.readable;
        };
        await this.#putBody(tmp, body, size);
        await this.#move(tmp, it.key);
        return { ok: true, bytes: size };
      } catch (err) {
        // Best effort: a stale temp object is invisible to listings of objects anyway.
        await this.#fetch(this.#url(tmp), { method: "DELETE" }).then((r) => r.body?.cancel())
          .catch(() => {});
        return { ok: false, error: toWireError(err) };
      }
    });
  }

  async remove(keys: string[]): Promise<ItemResult[]> {
    this.#requireDav("remove");
    return await mapLimit(keys, 8, async (k): Promise<ItemResult> => {
      try {
        const res = await this.#fetch(this.#url(k), { method: "DELETE" });
        if (!res.ok && res.status !== 404) throw await this.#error(res, `DELETE ${k}`);
        await res.body?.cancel();
        return { ok: true, bytes: 0 };
      } catch (err) {
        return { ok: false, error: toWireError(err) };
      }
    });
  }

  async readBytes(key: string, maxBytes?: number): Promise<Uint8Array | null> {
    const res = await this.#fetch(this.#url(key));
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw await this.#error(res, `GET ${key}`);
    return await readCapped(res, key, maxBytes);
  }

  async writeBytes(key: string, data: Uint8Array): Promise<void> {
    this.#requireDav("upload");
    const tmp = tempKey(key);
    await this.#putBody(tmp, () => Promise.resolve(data as Uint8Array<ArrayBuffer>), data.length);
    await this.#move(tmp, key);
  }

  close(): Promise<void> {
    this.#pool?.close();
    return Promise.resolve();
  }
}

export const create: CreateRemote = (config, ctx) => new HttpRemote(config, ctx);
