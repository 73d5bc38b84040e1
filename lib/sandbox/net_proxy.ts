/**
 * Host-filtering network for sandboxed stages with `net: [host:port, ...]`.
 *
 * The sandbox keeps its own empty network namespace (--unshare-net): only a
 * loopback interface, no route out, so a program that ignores proxy settings
 * simply cannot connect anywhere. The one way out is a Unix socket bound into
 * the sandbox; behind it cairn runs an HTTP proxy (CONNECT + absolute-URI
 * forwarding) that lets through only the granted hosts. Inside, a tiny
 * forwarder listens on 127.0.0.1:PROXY_PORT of the sandbox's own loopback
 * and relays to that socket, and HTTP(S)_PROXY point there.
 *
 * Landlock (no namespaces): the proxy listens on a free 127.0.0.1 port and
 * the stage's Landlock domain allows TCP connect to that port number only
 * (ABI >= 4 filters ports, not addresses), UDP and Unix sockets being
 * refused by seccomp; HTTP(S)_PROXY point at the proxy directly.
 */
import { hostAllowed } from "./grants.ts";
import type { HostGrant } from "./grants.ts";

/** Port the forwarder listens on inside the sandbox (its own loopback, so never clashes). */
export const PROXY_PORT = 3128;

export interface ProxyRecord {
  host: string;
  port: number;
  allowed: boolean;
  method: string;
}

export interface NetProxy {
  /** the Unix socket it listens on (bwrap), or "" when it listens on TCP. */
  socketPath: string;
  /** the 127.0.0.1 port it listens on (Landlock: no network namespace), else 0. */
  port: number;
  /** every request seen, in order. */
  log: ProxyRecord[];
  close(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function indexOfHeadEnd(buf: Uint8Array, len: number): number {
  for (let i = 3; i < len; i++) {
    if (
      buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 &&
      buf[i - 3] === 13
    ) return i + 1;
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Copy a -> b until EOF, then half-close b so the peer sees the end. */
async function pump(a: Deno.Conn, b: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await a.read(buf);
      if (n === null) break;
      await writeAll(b, buf.subarray(0, n));
    }
  } catch { /* peer reset */ }
  try {
    await b.closeWrite();
  } catch { /* already closed */ }
}

/** Split `host:port` / `[v6]:port`. */
function splitHostPort(s: string, defPort: number): [string, number] {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return [v6[1], v6[2] ? Number(v6[2]) : defPort];
  const i = s.lastIndexOf(":");
  if (i > 0 && /^\d+$/.test(s.slice(i + 1))) {
    return [s.slice(0, i), Number(s.slice(i + 1))];
  }
  return [s, defPort];
}

/**
 * Start the filtering proxy on a Unix socket at `socketPath` (bwrap: bound
 * into the sandbox), or with `tcp` on a free 127.0.0.1 port (Landlock: the
 * stage may connect to that port only). Requests to hosts outside `allow`
 * get a 403 naming the grant that would allow them.
 */
export function startNetProxy(
  allow: HostGrant[],
  opts: { socketPath: string } | { tcp: true },
): NetProxy {
  const socketPath = "socketPath" in opts ? opts.socketPath : "";
  const listener: Deno.Listener = socketPath
    ? Deno.listen({ transport: "unix", path: socketPath })
    : Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = socketPath ? 0 : (listener.addr as Deno.NetAddr).port;
  const log: ProxyRecord[] = [];
  const open = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();

  const deny = async (conn: Deno.Conn, host: string, port: number) => {
    const body = `cairn sandbox: network access to ${host}:${port} is not granted; ` +
      `add it to the stage's meta: {sandbox: {net: [${host}:${port}]}}\n`;
    await writeAll(
      conn,
      enc.encode(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      ),
    );
  };

  const handle = async (client: Deno.Conn) => {
    open.add(client);
    let upstream: Deno.Conn | undefined;
    try {
      const buf = new Uint8Array(64 * 1024);
      let len = 0;
      let headEnd = -1;
      while (headEnd < 0) {
        if (len === buf.length) return; // head too large
        const n = await client.read(buf.subarray(len));
        if (n === null) return;
        len += n;
        headEnd = indexOfHeadEnd(buf, len);
      }
      const head = dec.decode(buf.subarray(0, headEnd));
      const rest = buf.slice(headEnd, len);
      const [requestLine, ...headerLines] = head.split("\r\n");
      const [method, target, version] = requestLine.split(" ");
      let host: string;
      let port: number;
      let forwardHead: string | undefined;
      if (method === "CONNECT") {
        [host, port] = splitHostPort(target, 443);
      } else {
        const m = /^(http):\/\/([^/]+)(\/.*)?$/i.exec(target ?? "");
        if (!m) {
          await writeAll(
            client,
            enc.encode("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"),
          );
          return;
        }
        [host, port] = splitHostPort(m[2], 80);
        const headers = headerLines.filter((h) =>
          h && !/^(proxy-[\w-]*|connection|keep-alive):/i.test(h)
        );
        forwardHead = `${method} ${m[3] ?? "/"} ${version}\r\n${
          headers.join("\r\n")
        }\r\nConnection: close\r\n\r\n`;
      }
      const allowed = hostAllowed(allow, host, port);
      log.push({ host, port, allowed, method });
      if (!allowed) {
        await deny(client, host, port);
        return;
      }
      try {
        upstream = await Deno.connect({ hostname: host, port });
      } catch (e) {
        await writeAll(
          client,
          enc.encode(
            `HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\ncairn sandbox proxy: ${
              (e as Error).message
            }\n`,
          ),
        );
        return;
      }
      open.add(upstream);
      if (forwardHead !== undefined) {
        await writeAll(upstream, enc.encode(forwardHead));
      } else {
        await writeAll(
          client,
          enc.encode("HTTP/1.1 200 Connection Established\r\n\r\n"),
        );
      }
      if (rest.length) await writeAll(upstream, rest);
      await Promise.all([pump(client, upstream), pump(upstream, client)]);
    } catch {
      /* connection dropped */
    } finally {
      for (const c of [client, upstream]) {
        if (!c) continue;
        open.delete(c);
        try {
          c.close();
        } catch { /* closed */ }
      }
    }
  };

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const t = handle(conn);
        tasks.add(t);
        t.finally(() => tasks.delete(t));
      }
    } catch { /* listener closed */ }
  })();

  return {
    socketPath,
    port,
    log,
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const c of open) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
      await Promise.allSettled([...tasks]);
      if (!socketPath) return;
      try {
        Deno.removeSync(socketPath);
      } catch { /* gone */ }
    },
  };
}

/**
 * Source of the forwarder run inside the sandbox: TCP 127.0.0.1:port ->
 * Unix socket. Plain JS (no type-check, no imports) so it starts fast. It
 * creates `readyFile` once listening.
 */
export const FORWARDER_JS = `
const [sock, port, ready] = Deno.args;
const l = Deno.listen({ hostname: "127.0.0.1", port: Number(port) });
Deno.writeTextFileSync(ready, "ok");
async function pump(a, b) {
  const buf = new Uint8Array(65536);
  try {
    for (;;) {
      const n = await a.read(buf);
      if (n === null) break;
      let o = 0;
      while (o < n) o += await b.write(buf.subarray(o, n));
    }
  } catch {}
  try { await b.closeWrite(); } catch {}
}
for await (const c of l) {
  (async () => {
    let u;
    try {
      u = await Deno.connect({ transport: "unix", path: sock });
      await Promise.all([pump(c, u), pump(u, c)]);
    } catch {}
    try { c.close(); } catch {}
    try { u?.close(); } catch {}
  })();
}
`;

/** Environment that points HTTP clients at the in-sandbox forwarder. */
export function proxyEnv(port = PROXY_PORT): Record<string, string> {
  const url = `http://127.0.0.1:${port}`;
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    ALL_PROXY: url,
    all_proxy: url,
    NO_PROXY: "",
    no_proxy: "",
  };
}
