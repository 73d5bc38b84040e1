/**
 * S3 remote over plain fetch signed with aws4fetch (SigV4). Path-style requests
 * to `endpointurl` when set (S3-compatible servers, moto), else virtual-hosted
 * `https://BUCKET.s3.REGION.amazonaws.com`. Objects above the multipart
 * threshold go up in parts (a few in flight), so memory stays bounded and a
 * large upload is never half-visible: S3 shows an object only once complete.
 */
import { AwsClient } from "npm:aws4fetch@^1.0.20";
import { createHash } from "node:crypto";
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
import { TimedFetch } from "../_timed_fetch.ts";

const MiB = 1024 * 1024;
/** Single PUT up to this size; multipart above (S3 allows 5 GiB single PUTs, but parts retry cheaper). */
const MULTIPART_THRESHOLD = 16 * MiB;
const MIN_PART = 16 * MiB;
const PARTS_IN_FLIGHT = 4;
/** Items of one batch in flight (a batch holds at most 16 MiB of small objects). */
const ITEMS_IN_FLIGHT = 4;

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function env(name: string): string | undefined {
  // Only the names the manifest grants are read; an empty value counts as unset.
  return Deno.env.get(name) || undefined;
}

function parseIniSection(text: string, section: string): Record<string, string> | undefined {
  let current: string | undefined;
  let found: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const h = /^\[(.+)\]$/.exec(line);
    if (h) {
      current = h[1].trim().replace(/^profile\s+/, "");
      if (current === section) found = found ?? {};
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv && current === section && found) found[kv[1].toLowerCase()] = kv[2];
  }
  return found;
}

function resolveCredentials(config: Record<string, string>, home?: string): Credentials | null {
  if (config.access_key_id && config.secret_access_key) {
    return {
      accessKeyId: config.access_key_id,
      secretAccessKey: config.secret_access_key,
      sessionToken: config.session_token,
    };
  }
  const profile = config.profile ?? env("AWS_PROFILE");
  if (!profile) {
    const id = env("AWS_ACCESS_KEY_ID");
    const secret = env("AWS_SECRET_ACCESS_KEY");
    if (id && secret) {
      return { accessKeyId: id, secretAccessKey: secret, sessionToken: env("AWS_SESSION_TOKEN") };
    }
  }
  const file = config.credentialpath ?? env("AWS_SHARED_CREDENTIALS_FILE") ??
    (home ? `${home}/.aws/credentials` : undefined);
  if (!file) return null;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      if (profile) {
        throw new RemoteError(`AWS profile '${profile}' not found: '${file}' does not exist`, {
          fatal: true,
          code: "EAUTH",
        });
      }
      return null;
    }
    throw err;
  }
  const sec = parseIniSection(text, profile ?? "default");
  if (!sec) {
    if (profile) {
      throw new RemoteError(`AWS profile '${profile}' not found in '${file}'`, {
        fatal: true,
        code: "EAUTH",
      });
    }
    return null;
  }
  if (!sec.aws_access_key_id || !sec.aws_secret_access_key) return null;
  return {
    accessKeyId: sec.aws_access_key_id,
    secretAccessKey: sec.aws_secret_access_key,
    sessionToken: sec.aws_session_token,
  };
}

/** RFC 3986 encoding of each key segment (what SigV4 signs). */
function encodeKey(key: string): string {
  return key.split("/").map((s) =>
    encodeURIComponent(s).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  ).join("/");
}

function xmlDecode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    switch (e) {
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "amp":
        return "&";
      case "quot":
        return '"';
      case "apos":
        return "'";
    }
    return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function xmlTag(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? xmlDecode(m[1]) : undefined;
}

function itemError(err: unknown): ItemResult {
  return { ok: false, error: toWireError(err) };
}

class S3Remote implements RemoteImpl {
  #bucket: string;
  #prefix: string;
  #base: string;
  #pathStyle: boolean;
  #client: AwsClient | null;
  #ctx: PluginContext;
  #ready: Promise<void> | undefined;
  #http: TimedFetch;
  #location: string;
  #readTimeout: number;

  constructor(config: Record<string, string>, ctx: PluginContext) {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(config.url);
    if (!m) {
      throw new RemoteError(`invalid S3 url '${config.url}' (expected s3://bucket/path)`, {
        fatal: true,
      });
    }
    this.#bucket = m[1];
    this.#prefix = m[2].replace(/\/+$/, "");
    this.#location = config.url;
    this.#http = new TimedFetch(Number(config.connect_timeout ?? 60), {
      unreachable: (url, msg) => `cannot reach S3 at ${new URL(url).origin}: ${msg}`,
      failed: (_url, msg) => `S3 request failed: ${msg}`,
    });
    this.#readTimeout = Number(config.read_timeout ?? 300);
    const region = config.region ?? env("AWS_REGION") ?? env("AWS_DEFAULT_REGION") ??
      "us-east-1";
    if (config.endpointurl) {
      this.#base = `${config.endpointurl.replace(/\/+$/, "")}/${encodeKey(this.#bucket)}`;
      this.#pathStyle = true;
    } else {
      this.#base = `https://${this.#bucket}.s3.${region}.amazonaws.com`;
      this.#pathStyle = false;
    }
    this.#ctx = ctx;
    const creds = resolveCredentials(config, ctx.home);
    this.#client = creds ? new AwsClient({ ...creds, service: "s3", region, retries: 0 }) : null;
  }

  info(): RemoteInfo {
    return { write: true, traverse: true, listPageSize: 1000, location: this.#location };
  }

  #fullKey(key: string): string {
    return this.#prefix ? `${this.#prefix}/${key}` : key;
  }

  #url(key: string | null, query?: Record<string, string>): string {
    let u = key === null ? `${this.#base}/` : `${this.#base}/${encodeKey(this.#fullKey(key))}`;
    if (this.#pathStyle && key === null) u = this.#base;
    if (query) {
      const q = Object.entries(query).map(([k, v]) =>
        v === "" ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`
      );
      u += `?${q.join("&")}`;
    }
    return u;
  }

  #fetch(url: string, init: RequestInit = {}, bodyBytes = 0): Promise<Response> {
    const client = this.#client;
    return this.#http.fetch(url, init, bodyBytes, client ? (u, i) => client.fetch(u, i) : fetch);
  }

  /** Map a failed response to a RemoteError (consumes the body). */
  async #error(res: Response, what: string): Promise<RemoteError> {
    const text = await res.text().catch(() => "");
    const code = xmlTag(text, "Code") ?? `HTTP ${res.status}`;
    const message = xmlTag(text, "Message") ?? res.statusText;
    if (code === "NoSuchBucket") {
      return new RemoteError(`S3 bucket '${this.#bucket}' does not exist`, {
        fatal: true,
        code: "ENOBUCKET",
      });
    }
    if (
      res.status === 403 || code === "InvalidAccessKeyId" || code === "SignatureDoesNotMatch"
    ) {
      return new RemoteError(`S3 denied ${what}: ${code}: ${message}`, {
        fatal: true,
        code: "EAUTH",
        hint: "check access_key_id / secret_access_key / profile of the remote " +
          "(cairn remote modify --local NAME access_key_id ...) or AWS_* env vars",
      });
    }
    if (res.status === 404) {
      return new RemoteError(`${what}: not found`, { notFound: true, code: "ENOENT" });
    }
    const transient = res.status >= 500 || res.status === 429 || code === "SlowDown" ||
      code === "RequestTimeout";
    return new RemoteError(`S3 ${what} failed: ${code}: ${message}`, { transient });
  }

  /** First use: the bucket must exist and the credentials must work. */
  #check(): Promise<void> {
    this.#ready ??= (async () => {
      const res = await this.#fetch(this.#url(null, { "list-type": "2", "max-keys": "1" }));
      if (!res.ok) {
        const err = await this.#error(res, `listing bucket '${this.#bucket}'`);
        if (res.status === 404) {
          throw new RemoteError(`S3 bucket '${this.#bucket}' does not exist`, {
            fatal: true,
            code: "ENOBUCKET",
          });
        }
        throw err;
      }
      await res.body?.cancel();
    })();
    // A transient failure must not stick: the next call tries again.
    this.#ready.catch(() => (this.#ready = undefined));
    return this.#ready;
  }

  async exists(keys: string[]): Promise<boolean[]> {
    await this.#check();
    return await mapLimit(keys, 8, async (k) => {
      const res = await this.#fetch(this.#url(k), { method: "HEAD" });
      if (res.ok) return true;
      if (res.status === 404) return false;
      throw await this.#error(res, `HEAD ${k}`);
    });
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.#list(prefix, false)).map((e) => e.key);
  }

  listEntries(prefix: string): Promise<ListEntry[]> {
    return this.#list(prefix, true);
  }

  /** Every object under `prefix` (ListObjectsV2 pages), with sizes when `detail`. */
  async #list(prefix: string, detail: boolean): Promise<ListEntry[]> {
    await this.#check();
    const out: ListEntry[] = [];
    const full = this.#fullKey(prefix);
    const strip = this.#prefix ? this.#prefix.length + 1 : 0;
    let token: string | undefined;
    for (;;) {
      const q: Record<string, string> = { "list-type": "2", prefix: full };
      if (token) q["continuation-token"] = token;
      const res = await this.#fetch(this.#url(null, q));
      if (!res.ok) throw await this.#error(res, `listing '${full}'`);
      const xml = await res.text();
      if (detail) {
        for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const key = xmlTag(m[1], "Key");
          if (key === undefined) continue;
          const size = Number(xmlTag(m[1], "Size"));
          out.push({ key: key.slice(strip), size: Number.isFinite(size) ? size : undefined });
        }
      } else {
        for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) {
          out.push({ key: xmlDecode(m[1]).slice(strip) });
        }
      }
      if (xmlTag(xml, "IsTruncated") !== "true") break;
      token = xmlTag(xml, "NextContinuationToken");
      if (!token) break;
    }
    return out;
  }

  async get(items: GetItem[], opts: GetOptions = {}): Promise<ItemResult[]> {
    await this.#check();
    const inlineMax = opts.inlineMax ?? -1;
    // A few items in flight: small objects are latency-bound.
    return await mapLimit(items, ITEMS_IN_FLIGHT, async (it): Promise<ItemResult> => {
      try {
        return await this.#download(it, inlineMax);
      } catch (err) {
        return itemError(err);
      }
    });
  }

  async #download(it: GetItem, inlineMax: number): Promise<ItemResult> {
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

  async put(items: PutItem[]): Promise<ItemResult[]> {
    await this.#check();
    // A few items in flight: small objects are latency-bound.
    return await mapLimit(items, ITEMS_IN_FLIGHT, async (it): Promise<ItemResult> => {
      try {
        return { ok: true, bytes: await this.#upload(it) };
      } catch (err) {
        return itemError(err);
      }
    });
  }

  async #upload(it: PutItem): Promise<number> {
    const size = it.size ?? (await Deno.stat(it.src)).size;
    if (size <= MULTIPART_THRESHOLD) {
      const body = await Deno.readFile(it.src);
      const res = await this.#fetch(this.#url(it.key), { method: "PUT", body }, size);
      if (!res.ok) throw await this.#error(res, `PUT ${it.key}`);
      await res.body?.cancel();
      return size;
    }
    return await this.#multipart(it, size);
  }

  async #multipart(it: PutItem, size: number): Promise<number> {
    const partSize = Math.max(MIN_PART, Math.ceil(size / 10000));
    const nParts = Math.ceil(size / partSize);
    let res = await this.#fetch(this.#url(it.key, { uploads: "" }), { method: "POST" });
    if (!res.ok) throw await this.#error(res, `starting multipart upload of ${it.key}`);
    const uploadId = xmlTag(await res.text(), "UploadId");
    if (!uploadId) throw new RemoteError(`S3 gave no UploadId for ${it.key}`, { transient: true });
    try {
      const etags = await mapLimit(
        Array.from({ length: nParts }, (_, i) => i),
        PARTS_IN_FLIGHT,
        async (i) => {
          const start = i * partSize;
          const len = Math.min(partSize, size - start);
          const buf = new Uint8Array(len);
          // One handle per part: parts in flight must not share a file position.
          const file = await Deno.open(it.src, { read: true });
          try {
            await file.seek(start, Deno.SeekMode.Start);
            let got = 0;
            while (got < len) {
              const n = await file.read(buf.subarray(got));
              if (n === null) throw new RemoteError(`${it.src} shrank during upload`);
              got += n;
            }
          } finally {
            file.close();
          }
          const r = await this.#fetch(
            this.#url(it.key, { partNumber: String(i + 1), uploadId }),
            { method: "PUT", body: buf },
            len,
          );
          if (!r.ok) throw await this.#error(r, `uploading part ${i + 1} of ${it.key}`);
          await r.body?.cancel();
          this.#ctx.progress(it.key, len);
          return r.headers.get("etag") ?? "";
        },
      );
      const body = `<CompleteMultipartUpload>${
        etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`)
          .join("")
      }</CompleteMultipartUpload>`;
      res = await this.#fetch(this.#url(it.key, { uploadId }), { method: "POST", body });
      const text = await res.text();
      // S3 can report a failed completion with 200 and an <Error> body.
      if (!res.ok || text.includes("<Error>")) {
        throw new RemoteError(
          `completing multipart upload of ${it.key} failed: ${xmlTag(text, "Code") ?? res.status}`,
          { transient: true },
        );
      }
      return size;
    } catch (err) {
      // Best effort: do not leave parts billed on the bucket.
      try {
        const r = await this.#fetch(this.#url(it.key, { uploadId }), { method: "DELETE" });
        await r.body?.cancel();
      } catch { /* the server may be gone */ }
      throw err;
    }
  }

  async remove(keys: string[]): Promise<ItemResult[]> {
    await this.#check();
    const out: ItemResult[] = [];
    // DeleteObjects: up to 1000 keys per request (the S3 limit).
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      try {
        out.push(...await this.#deleteMany(chunk));
      } catch (err) {
        out.push(...chunk.map(() => itemError(err)));
      }
    }
    return out;
  }

  async #deleteMany(keys: string[]): Promise<ItemResult[]> {
    const esc = (s: string) =>
      s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
    const body = `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>${
      keys.map((k) => `<Object><Key>${esc(this.#fullKey(k))}</Key></Object>`).join("")
    }</Delete>`;
    const md5 = createHash("md5").update(body).digest("base64");
    const res = await this.#fetch(this.#url(null, { delete: "" }), {
      method: "POST",
      body,
      headers: { "Content-MD5": md5, "Content-Type": "application/xml" },
    });
    if (!res.ok) throw await this.#error(res, `deleting ${keys.length} objects`);
    const xml = await res.text();
    const failed = new Map<string, string>();
    for (const m of xml.matchAll(/<Error>([\s\S]*?)<\/Error>/g)) {
      const key = xmlTag(m[1], "Key");
      if (key !== undefined) {
        failed.set(key, `${xmlTag(m[1], "Code") ?? "Error"}: ${xmlTag(m[1], "Message") ?? ""}`);
      }
    }
    return keys.map((k): ItemResult => {
      const why = failed.get(this.#fullKey(k));
      return why === undefined
        ? { ok: true, bytes: 0 }
        : { ok: false, error: { name: "RemoteError", message: `DELETE ${k}: ${why}` } };
    });
  }

  async readBytes(key: string, maxBytes?: number): Promise<Uint8Array | null> {
    await this.#check();
    const res = await this.#fetch(this.#url(key));
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    if (!res.ok) throw await this.#error(res, `GET ${key}`);
    return await readCapped(res, key, maxBytes);
  }

  async writeBytes(key: string, data: Uint8Array): Promise<void> {
    await this.#check();
    const res = await this.#fetch(this.#url(key), {
      method: "PUT",
      body: data as Uint8Array<ArrayBuffer>,
    });
    if (!res.ok) throw await this.#error(res, `PUT ${key}`);
    await res.body?.cancel();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export const create: CreateRemote = (config, ctx) => new S3Remote(config, ctx);
