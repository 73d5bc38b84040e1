/**
 * SSH/SFTP remote on npm `ssh2`, one connection per plugin, opened on first
 * use and reopened after a drop. We hand ssh2 our own socket with
 * setNoDelay(true): with Nagle on, every SFTP request waits ~44 ms for the
 * delayed ACK. Uploads go to a temp name and are renamed (posix-rename) into
 * place, so a killed transfer never leaves a partial object under its name.
 * Host keys are not checked, as DVC's ssh remote does by default.
 */
// @ts-types="npm:@types/ssh2@^1.15.6"
import { Client, type SFTPWrapper } from "npm:ssh2@^1.17.0";
import net from "node:net";
import { Buffer } from "node:buffer";
import type {
  CreateRemote,
  GetItem,
  ItemResult,
  ListEntry,
  PluginContext,
  PutItem,
  RemoteImpl,
  RemoteInfo,
} from "../../lib/plugin/remote_api.ts";
import { mapLimit, RemoteError, toWireError } from "../../lib/plugin/remote_api.ts";
import { tooLarge } from "../_read_capped.ts";

/** SFTP status codes (draft-ietf-secsh-filexfer). */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;
/** Items of one batch in flight at once. */
const ITEMS_IN_FLIGHT = 4;
/** Uploads up to this size are sent from memory (open, then the writes and the close together). */
const SMALL_FILE = 256 * 1024;
/** One SFTP write request: below every server's packet limit (ssh2 assumes 34000 bytes). */
const WRITE_CHUNK = 32 * 1024;

interface Target {
  host: string;
  port: number;
  user: string;
  root: string;
}

function parseUrl(config: Record<string, string>): Target {
  const m = /^(?:ssh|sftp):\/\/(?:([^@/]*)@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?(\/.*)?$/.exec(
    config.url,
  );
  if (!m) {
    throw new RemoteError(
      `invalid ssh url '${config.url}' (expected ssh://[user@]host[:port]/path)`,
      {
        fatal: true,
      },
    );
  }
  let root = decodeURIComponent(m[4] ?? "/");
  while (root.length > 1 && root.endsWith("/")) root = root.slice(0, -1);
  const user = config.user ?? (m[1] ? decodeURIComponent(m[1]) : undefined) ??
    Deno.env.get("USER") ?? "root";
  return {
    host: m[2].replace(/^\[|\]$/g, ""),
    port: Number(config.port ?? m[3] ?? 22),
    user,
    root,
  };
}

function sftpCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown })?.code;
  return typeof c === "number" ? c : undefined;
}

/** SFTP status errors are answers; anything else is the connection failing. */
function classify(err: unknown, what: string): RemoteError {
  if (err instanceof RemoteError) return err;
  if ((err as Error)?.name === "NotCapable") throw err;
  const code = sftpCode(err);
  const msg = (err as Error)?.message ?? String(err);
  if (code === NO_SUCH_FILE) {
    return new RemoteError(`${what}: not found`, { notFound: true, code: "ENOENT" });
  }
  if (code === PERMISSION_DENIED) {
    return new RemoteError(`${what}: permission denied on the SSH server`, { code: "EACCES" });
  }
  if (code !== undefined) return new RemoteError(`${what}: ${msg}`, {});
  return new RemoteError(`${what}: ${msg}`, { transient: true, code: "ECONNRESET" });
}

/** Rejects when a connection drops: ssh2 can leave callbacks of a dead channel uncalled. */
const lost = new WeakMap<SFTPWrapper, Promise<never>>();

function call<T>(
  sftp: SFTPWrapper,
  f: (cb: (err: Error | null | undefined, v: T) => void) => void,
): Promise<T> {
  const op = new Promise<T>((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v))));
  const gone = lost.get(sftp);
  return gone ? Promise.race([op, gone]) : op;
}

let tmpCounter = 0;
function tempNext(path: string): string {
  const slash = path.lastIndexOf("/");
  const rand = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${++tmpCounter}${rand}.tmp`;
}

interface Conn {
  client: Client;
  sftp: SFTPWrapper;
}

class SshRemote implements RemoteImpl {
  #t: Target;
  #config: Record<string, string>;
  #ctx: PluginContext;
  #conn: Promise<Conn> | undefined;
  #everConnected = false;
  #dirs = new Set<string>();
  #posixRename = true;

  constructor(config: Record<string, string>, ctx: PluginContext) {
    this.#config = config;
    this.#ctx = ctx;
    this.#t = parseUrl(config);
  }

  info(): RemoteInfo {
    const t = this.#t;
    return {
      write: true,
      traverse: true,
      listPageSize: 1000,
      location: `ssh://${t.user}@${t.host}:${t.port}${t.root}`,
    };
  }

  #keys(): { key: string; source: string }[] {
    const files = this.#config.keyfile
      ? [this.#config.keyfile]
      : ["id_ed25519", "id_ecdsa", "id_rsa"]
        .map((n) => `${this.#ctx.home ?? "~"}/.ssh/${n}`);
    const out: { key: string; source: string }[] = [];
    for (const f of files) {
      try {
        out.push({ key: Deno.readTextFileSync(f), source: f });
      } catch (err) {
        if ((err as Error).name === "NotCapable") throw err;
        if (this.#config.keyfile) {
          throw new RemoteError(`cannot read ssh key file '${f}': ${(err as Error).message}`, {
            fatal: true,
            code: "EAUTH",
          });
        }
      }
    }
    return out;
  }

  #connect(): Promise<Conn> {
    const t = this.#t;
    const keys = this.#keys();
    const agent = this.#config.allow_agent === "false" ? undefined : Deno.env.get("SSH_AUTH_SOCK");
    const methods: Record<string, unknown>[] = [];
    if (agent) methods.push({ type: "agent", username: t.user, agent });
    for (const k of keys) {
      methods.push({
        type: "publickey",
        username: t.user,
        key: k.key,
        passphrase: this.#config.passphrase,
      });
    }
    if (this.#config.password) {
      methods.push({ type: "password", username: t.user, password: this.#config.password });
    }
    return new Promise<Conn>((resolve, reject) => {
      const sock = net.connect({ host: t.host, port: t.port });
      sock.setNoDelay(true);
      const client = new Client();
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        sock.destroy();
        const auth = /authentication methods failed/i.test(err.message);
        if (auth) {
          reject(
            new RemoteError(`ssh authentication to ${t.user}@${t.host}:${t.port} failed`, {
              fatal: true,
              code: "EAUTH",
              hint: "set the remote's keyfile (and passphrase) or password " +
                "(cairn remote modify --local NAME keyfile PATH)",
            }),
          );
        } else if (!this.#everConnected) {
          reject(
            new RemoteError(`cannot reach ssh server ${t.host}:${t.port}: ${err.message}`, {
              fatal: true,
              code: "ECONNREFUSED",
            }),
          );
        } else {
          reject(
            new RemoteError(`ssh connection to ${t.host}:${t.port} failed: ${err.message}`, {
              transient: true,
              code: "ECONNRESET",
            }),
          );
        }
      };
      sock.on("error", fail);
      client.on("error", fail);
      let dropped: (err: Error) => void = () => {};
      const gone = new Promise<never>((_, rej) => (dropped = rej));
      gone.catch(() => {});
      client.on("close", () => {
        // The next call reconnects; calls in flight fail now rather than hang.
        this.#conn = undefined;
        this.#dirs.clear();
        dropped(new Error(`connection to ${t.host}:${t.port} lost`));
        fail(new Error("connection closed"));
      });
      client.on("ready", () => {
        client.sftp((err, sftp) => {
          if (err) return fail(err);
          lost.set(sftp, gone);
          sftp.on("close", () => dropped(new Error(`SFTP session to ${t.host}:${t.port} closed`)));
          settled = true;
          this.#everConnected = true;
          resolve({ client, sftp });
        });
      });
      let next = 0;
      try {
        client.connect({
          sock,
          username: t.user,
          readyTimeout: Number(this.#config.timeout ?? 20) * 1000,
          keepaliveInterval: 15000,
          authHandler: (_left, _partial, cb) => {
            cb((methods[next++] ?? false) as never);
          },
        });
      } catch (err) {
        fail(err as Error);
      }
    });
  }

  #sftp(): Promise<SFTPWrapper> {
    if (!this.#conn) {
      const p = this.#connect();
      this.#conn = p;
      p.catch(() => {
        if (this.#conn === p) this.#conn = undefined;
      });
    }
    return this.#conn.then((c) => c.sftp);
  }

  #path(key: string): string {
    if (key.split("/").includes("..")) throw new RemoteError(`invalid key '${key}'`);
    return `${this.#t.root}/${key}`;
  }

  async #mkdirs(sftp: SFTPWrapper, dir: string): Promise<void> {
    if (this.#dirs.has(dir) || dir === "" || dir === "/") return;
    try {
      await call<void>(sftp, (cb) => sftp.mkdir(dir, cb));
    } catch (err) {
      const code = sftpCode(err);
      if (code === NO_SUCH_FILE) {
        await this.#mkdirs(sftp, dir.slice(0, dir.lastIndexOf("/")));
        try {
          await call<void>(sftp, (cb) => sftp.mkdir(dir, cb));
        } catch (err2) {
          if (sftpCode(err2) === undefined) throw err2;
        }
      } else if (code === undefined) throw err;
      // FAILURE: usually "already exists" (SFTP v3 has no code for it); checked by stat.
      const st = await call<{ isDirectory(): boolean }>(sftp, (cb) => sftp.stat(dir, cb));
      if (!st.isDirectory()) throw new RemoteError(`'${dir}' exists and is not a directory`);
    }
    this.#dirs.add(dir);
  }

  async #rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    if (this.#posixRename) {
      try {
        await call<void>(sftp, (cb) => sftp.ext_openssh_rename(from, to, cb));
        return;
      } catch (err) {
        if (sftpCode(err) !== undefined || !/not supported/i.test(String(err))) throw err;
        this.#posixRename = false;
      }
    }
    try {
      await call<void>(sftp, (cb) => sftp.rename(from, to, cb));
    } catch (err) {
      // Plain SFTP rename refuses to overwrite; objects are content-addressed, so an
      // existing target already holds these bytes.
      await call<void>(sftp, (cb) => sftp.unlink(from, cb)).catch(() => {});
      const exists = await call(sftp, (cb) => sftp.stat(to, cb)).then(() => true, () => false);
      if (!exists) throw err;
    }
  }

  async exists(keys: string[]): Promise<boolean[]> {
    const sftp = await this.#sftp();
    return await mapLimit(keys, 64, async (k) => {
      try {
        const st = await call<{ isFile(): boolean }>(sftp, (cb) => sftp.stat(this.#path(k), cb));
        return st.isFile();
      } catch (err) {
        if (sftpCode(err) === NO_SUCH_FILE) return false;
        throw classify(err, `stat ${k}`);
      }
    });
  }

  async list(prefix: string): Promise<string[]> {
    return (await this.#walk(prefix, false)).map((e) => e.key);
  }

  listEntries(prefix: string): Promise<ListEntry[]> {
    return this.#walk(prefix, true);
  }

  /** Files below `prefix` (with sizes and empty folders when `detail`). */
  async #walk(prefix: string, detail: boolean): Promise<ListEntry[]> {
    const sftp = await this.#sftp();
    const out: ListEntry[] = [];
    const walk = async (rel: string): Promise<void> => {
      const dir = rel ? `${this.#t.root}/${rel}` : this.#t.root;
      let entries: {
        filename: string;
        attrs: { size: number; isDirectory(): boolean; isFile(): boolean };
      }[];
      try {
        entries = await call(sftp, (cb) => sftp.readdir(dir, cb));
      } catch (err) {
        if (sftpCode(err) === NO_SUCH_FILE) return;
        throw classify(err, `listing ${dir}`);
      }
      const subdirs: string[] = [];
      for (const e of entries) {
        const r = rel ? `${rel}/${e.filename}` : e.filename;
        if (e.attrs.isDirectory()) subdirs.push(r);
        else if (e.attrs.isFile()) out.push(detail ? { key: r, size: e.attrs.size } : { key: r });
      }
      if (detail && rel && !entries.length) out.push({ key: rel, dir: true });
      // Requests pipeline on one channel: list sibling folders concurrently.
      await mapLimit(subdirs, 16, walk);
    };
    await walk(prefix.replace(/\/+$/, ""));
    return out;
  }

  async get(items: GetItem[]): Promise<ItemResult[]> {
    return await mapLimit(items, ITEMS_IN_FLIGHT, async (it): Promise<ItemResult> => {
      try {
        const sftp = await this.#sftp();
        let done = 0;
        let reported = 0;
        await call<void>(sftp, (cb) =>
          sftp.fastGet(this.#path(it.key), it.dest, {
            step: (total: number) => {
              done = total;
              if (done - reported >= 8 << 20) {
                this.#ctx.progress(it.key, done - reported);
                reported = done;
              }
            },
          }, cb));
        return { ok: true, bytes: (await Deno.stat(it.dest)).size };
      } catch (err) {
        return { ok: false, error: toWireError(classify(err, `download ${it.key}`)) };
      }
    });
  }

  async put(items: PutItem[]): Promise<ItemResult[]> {
    // A few items in flight: SFTP requests pipeline on the channel, hiding round trips.
    return await mapLimit(items, ITEMS_IN_FLIGHT, async (it): Promise<ItemResult> => {
      let sftp: SFTPWrapper | undefined;
      const dest = this.#path(it.key);
      const tmp = tempNext(dest);
      try {
        sftp = await this.#sftp();
        await this.#mkdirs(sftp, dest.slice(0, dest.lastIndexOf("/")));
        const size = it.size ?? (await Deno.stat(it.src)).size;
        if (size <= SMALL_FILE) {
          // open, then write and close together: cheaper than fastPut's chunked pipeline.
          const data = await Deno.readFile(it.src);
          await this.#putSmall(
            sftp,
            tmp,
            Buffer.from(data.buffer, data.byteOffset, data.byteLength),
          );
        } else {
          let reported = 0;
          await call<void>(sftp, (cb) =>
            sftp!.fastPut(it.src, tmp, {
              step: (total: number) => {
                if (total - reported >= 8 << 20) {
                  this.#ctx.progress(it.key, total - reported);
                  reported = total;
                }
              },
            }, cb));
        }
        await this.#rename(sftp, tmp, dest);
        return { ok: true, bytes: size };
      } catch (err) {
        if (sftp) await call<void>(sftp!, (cb) => sftp!.unlink(tmp, cb)).catch(() => {});
        return { ok: false, error: toWireError(classify(err, `upload ${it.key}`)) };
      }
    });
  }

  /**
   * Write `data` to a new file `path`: open, then every write and the close
   * sent together (the server runs one channel's requests in order). Writes
   * are at most WRITE_CHUNK so that ssh2 never splits one into a follow-up it
   * would send only after the close: the handle may by then belong to another
   * file opened meanwhile.
   */
  async #putSmall(sftp: SFTPWrapper, path: string, data: Buffer): Promise<void> {
    const handle = await call<Buffer>(sftp, (cb) => sftp.open(path, "w", cb));
    const sent: Promise<void>[] = [];
    for (let off = 0; off < data.length; off += WRITE_CHUNK) {
      const len = Math.min(WRITE_CHUNK, data.length - off);
      sent.push(call<void>(sftp, (cb) => sftp.write(handle, data, off, len, off, cb)));
    }
    sent.push(call<void>(sftp, (cb) => sftp.close(handle, cb)));
    for (const r of await Promise.allSettled(sent)) if (r.status === "rejected") throw r.reason;
  }

  async remove(keys: string[]): Promise<ItemResult[]> {
    const sftp = await this.#sftp();
    return await mapLimit(keys, 64, async (k): Promise<ItemResult> => {
      try {
        await call<void>(sftp, (cb) => sftp.unlink(this.#path(k), cb));
      } catch (err) {
        if (sftpCode(err) !== NO_SUCH_FILE) {
          return { ok: false, error: toWireError(classify(err, `remove ${k}`)) };
        }
      }
      return { ok: true, bytes: 0 };
    });
  }

  async readBytes(key: string, maxBytes?: number): Promise<Uint8Array | null> {
    const sftp = await this.#sftp();
    try {
      if (maxBytes !== undefined) {
        const st = await call<{ size: number }>(sftp, (cb) => sftp.stat(this.#path(key), cb));
        if (st.size > maxBytes) throw tooLarge(key, st.size, maxBytes);
      }
      const buf = await call<Uint8Array>(sftp, (cb) => sftp.readFile(this.#path(key), cb));
      return new Uint8Array(buf);
    } catch (err) {
      if (sftpCode(err) === NO_SUCH_FILE) return null;
      throw classify(err, `read ${key}`);
    }
  }

  async writeBytes(key: string, data: Uint8Array): Promise<void> {
    const sftp = await this.#sftp();
    const dest = this.#path(key);
    const tmp = tempNext(dest);
    try {
      await this.#mkdirs(sftp, dest.slice(0, dest.lastIndexOf("/")));
      await call<void>(
        sftp,
        (cb) => sftp.writeFile(tmp, Buffer.from(data.buffer, data.byteOffset, data.byteLength), cb),
      );
      await this.#rename(sftp, tmp, dest);
    } catch (err) {
      await call<void>(sftp, (cb) => sftp.unlink(tmp, cb)).catch(() => {});
      throw classify(err, `write ${key}`);
    }
  }

  async close(): Promise<void> {
    const c = this.#conn;
    this.#conn = undefined;
    if (c) {
      try {
        (await c).client.end();
      } catch { /* never connected */ }
    }
  }
}

export const create: CreateRemote = (config, ctx) => new SshRemote(config, ctx);
