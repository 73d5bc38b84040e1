/**
 * The WebDAV remote's kept-alive HTTP/1.1 client (plugins/remote_http/keepalive.ts)
 * against a scripted peer on 127.0.0.1 that answers in the forms servers use:
 * Content-Length, chunked with trailers, body to end of stream, an idle
 * connection closed by the server, a body above the limit, no answer at all.
 */
import { assert, assertEquals } from "../_rig/assert.ts";
import {
  ConnectionFailed,
  HttpTimeout,
  KeepAlivePool,
  type RawRequestOptions,
  TooLarge,
} from "../../plugins/remote_http/keepalive.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Seen {
  method: string;
  target: string;
  headers: Map<string, string>;
  body: string;
  /** which accepted connection (0, 1, ...) carried it. */
  conn: number;
}

/** What the peer does with a request: bytes to send, and whether to hang up after them. */
type Answer = { send: string; close?: boolean } | "silent";

/** A peer answering each request with `answer(request, index)`. */
function peer(answer: (req: Seen, i: number) => Answer) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const seen: Seen[] = [];
  const conns: Deno.Conn[] = [];
  const serve = async (conn: Deno.Conn, id: number) => {
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(65536);
    try {
      for (;;) {
        let text = dec.decode(buf);
        let end = text.indexOf("\r\n\r\n");
        while (end < 0) {
          const n = await conn.read(chunk);
          if (n === null) return;
          buf = new Uint8Array([...buf, ...chunk.subarray(0, n)]);
          text = dec.decode(buf);
          end = text.indexOf("\r\n\r\n");
        }
        const lines = text.slice(0, end).split("\r\n");
        const [method, target] = lines[0].split(" ");
        const headers = new Map<string, string>();
        for (const l of lines.slice(1)) {
          const i = l.indexOf(":");
          headers.set(l.slice(0, i).toLowerCase(), l.slice(i + 1).trim());
        }
        const len = Number(headers.get("content-length") ?? 0);
        while (buf.length < end + 4 + len) {
          const n = await conn.read(chunk);
          if (n === null) return;
          buf = new Uint8Array([...buf, ...chunk.subarray(0, n)]);
        }
        const body = dec.decode(buf.subarray(end + 4, end + 4 + len));
        buf = buf.slice(end + 4 + len);
        const req = { method, target, headers, body, conn: id };
        seen.push(req);
        const a = answer(req, seen.length - 1);
        if (a === "silent") continue;
        await conn.write(enc.encode(a.send));
        if (a.close) {
          conn.close();
          return;
        }
      }
    } catch (err) {
      if (!(err instanceof Deno.errors.BadResource || err instanceof Deno.errors.ConnectionReset)) {
        throw err;
      }
    }
  };
  const accepting = (async () => {
    let id = 0;
    const served: Promise<void>[] = [];
    for await (const conn of listener) {
      conns.push(conn);
      served.push(serve(conn, id++));
    }
    await Promise.all(served);
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    seen,
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed by the test already */ }
      }
      await accepting.catch(() => {});
    },
  };
}

const OPTS: RawRequestOptions = { maxBody: 1024, responseTimeout: 5000, bodyTimeout: 5000 };
const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Length: ${enc.encode(body).length}\r\n${extra}\r\n${body}`;

Deno.test("keepalive: requests reuse one connection; PUT sends its body with a length", async () => {
  const p = peer((req) => ({ send: ok(`${req.method} ${req.target} ${req.body}`) }));
  const pool = new KeepAlivePool(p.url);
  try {
    for (let i = 0; i < 3; i++) {
      const r = await pool.request("PUT", `/a/k${i}`, { "X-T": "1" }, enc.encode(`b${i}`), OPTS);
      assertEquals([r.status, dec.decode(r.body)], [200, `PUT /a/k${i} b${i}`]);
    }
    const g = await pool.request("GET", "/a/k0", {}, undefined, OPTS);
    assertEquals(dec.decode(g.body), "GET /a/k0 ");
    assertEquals(p.seen.map((s) => s.conn), [0, 0, 0, 0]);
    assertEquals(p.seen[0].headers.get("content-length"), "2");
    assertEquals(p.seen[0].headers.get("x-t"), "1");
    assertEquals(p.seen[0].headers.get("host"), p.url.host);
    assertEquals(p.seen[3].headers.has("content-length"), false);
  } finally {
    pool.close();
    await p.close();
  }
});

Deno.test("keepalive: chunked body with trailers; then the same connection again", async () => {
  const p = peer((_req, i) => ({
    send: i === 0
      ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
      : ok("next"),
  }));
  const pool = new KeepAlivePool(p.url);
  try {
    const r = await pool.request("GET", "/c", {}, undefined, OPTS);
    assertEquals(dec.decode(r.body), "hello, world");
    assertEquals(dec.decode((await pool.request("GET", "/d", {}, undefined, OPTS)).body), "next");
    assertEquals(p.seen.map((s) => s.conn), [0, 0]);
  } finally {
    pool.close();
    await p.close();
  }
});

Deno.test("keepalive: a body without length runs to the end of the connection", async () => {
  const p = peer(() => ({
    send: "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end",
    close: true,
  }));
  const pool = new KeepAlivePool(p.url);
  try {
    assertEquals(
      dec.decode((await pool.request("GET", "/e", {}, undefined, OPTS)).body),
      "to the end",
    );
    assertEquals(
      dec.decode((await pool.request("GET", "/f", {}, undefined, OPTS)).body),
      "to the end",
    );
    assertEquals(p.seen.map((s) => s.conn), [0, 1]);
  } finally {
    pool.close();
    await p.close();
  }
});

Deno.test("keepalive: an idle connection the server closed is replaced, the request sent again", async () => {
  // The peer hangs up after each answer without saying so (as on an idle timeout).
  const p = peer((req) => ({ send: ok(req.target), close: true }));
  const pool = new KeepAlivePool(p.url);
  try {
    assertEquals(dec.decode((await pool.request("GET", "/g", {}, undefined, OPTS)).body), "/g");
    await new Promise((r) => setTimeout(r, 50)); // let the close arrive
    assertEquals(dec.decode((await pool.request("MOVE", "/h", {}, undefined, OPTS)).body), "/h");
    assertEquals(p.seen.map((s) => [s.target, s.conn]), [["/g", 0], ["/h", 1]]);
  } finally {
    pool.close();
    await p.close();
  }
});

Deno.test("keepalive: a body above the limit is TooLarge and costs only that connection", async () => {
  const p = peer((req) => ({ send: ok(req.target === "/big" ? "x".repeat(2000) : "small") }));
  const pool = new KeepAlivePool(p.url);
  try {
    const err = await pool.request("GET", "/big", {}, undefined, OPTS).then(() => null, (e) => e);
    assert(err instanceof TooLarge, String(err));
    assertEquals(err.length, 2000);
    assertEquals(dec.decode((await pool.request("GET", "/s", {}, undefined, OPTS)).body), "small");
    assertEquals(p.seen.map((s) => s.conn), [0, 1]);
  } finally {
    pool.close();
    await p.close();
  }
});

Deno.test("keepalive: no answer is a timeout, not a hang; 204 and HEAD have no body", async () => {
  const p = peer((req) =>
    req.target === "/silent"
      ? "silent"
      : req.method === "HEAD"
      ? { send: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n" }
      : { send: "HTTP/1.1 204 No Content\r\n\r\n" }
  );
  const pool = new KeepAlivePool(p.url);
  try {
    const h = await pool.request("HEAD", "/h", {}, undefined, OPTS);
    assertEquals([h.status, h.body.length, h.headers.get("content-length")], [200, 0, "99"]);
    const d = await pool.request("DELETE", "/d", {}, undefined, OPTS);
    assertEquals([d.status, d.body.length], [204, 0]);
    // Should the timeout not fire, the peer hangs up after a while: a ConnectionFailed then.
    const fallback = setTimeout(() => p.close(), 20_000);
    const err = await pool.request("GET", "/silent", {}, undefined, {
      ...OPTS,
      responseTimeout: 300,
    })
      .then(() => null, (e) => e);
    clearTimeout(fallback);
    assert(err instanceof HttpTimeout, String(err));
    assertEquals(err.message, "no response within 0 s");
  } finally {
    pool.close();
    await p.close();
  }
});

Deno.test("keepalive: a chunk-size line or trailers that never end are cut off, not buffered", async () => {
  // 100 KiB without a line end, then trailers of 100 KiB: both exceed the 64 KiB line bound
  // while the body itself (a few bytes) is far under maxBody.
  const long = "1".repeat(100 * 1024);
  const trailers = "X-T: y\r\n".repeat(13_000);
  const p = peer((req) => ({
    send: req.target === "/line"
      ? `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${long}`
      : `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n${trailers}\r\n`,
  }));
  const pool = new KeepAlivePool(p.url);
  try {
    for (const target of ["/line", "/trailers"]) {
      const err = await pool.request("GET", target, {}, undefined, OPTS).then(() => null, (e) => e);
      assert(err instanceof ConnectionFailed, `${target}: ${err}`);
      assert(/too (long|large)/.test(err.message), err.message);
    }
  } finally {
    pool.close();
    await p.close();
  }
});
