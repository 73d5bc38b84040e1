/**
 * A WebDAV server reachable only through an HTTP proxy (HTTP_PROXY, which
 * Deno's fetch honours): the webdav remote's kept-alive client cannot connect
 * directly, so the plugin goes through fetch, and push and pull still work.
 * The proxy (in this test) forwards to the real nginx WebDAV server.
 */
import { assert, assertEquals } from "../_rig/assert.ts";
import { CAIRN, cairnOk, GIT_ENV, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { readServicesEnv, remoteCase, removeTree, testOptions } from "./_remotes.ts";

const dec = new TextDecoder();
const HOST = "cairn-proxied.invalid"; // never resolves: only the proxy knows it

/** Run scripts/cairn without blocking this process (the proxy serves from it meanwhile). */
async function cairnAsync(args: string[], cwd: string, proxy: string) {
  const out = await new Deno.Command(CAIRN, {
    args,
    cwd,
    env: { ...GIT_ENV, HTTP_PROXY: proxy, http_proxy: proxy, NO_PROXY: "", no_proxy: "" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: dec.decode(out.stderr) };
}

const c = remoteCase("webdav");
Deno.test({
  name: "webdav behind an HTTP proxy only: push and pull go through fetch",
  ...testOptions(c),
  fn: async () => {
    const env = readServicesEnv();
    const target = new URL(env.CAIRN_TEST_HTTP_URL);
    const prefix = c.localRoot!.slice(c.localRoot!.lastIndexOf("/") + 1);
    let proxied = 0;
    const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const u = new URL(req.url);
      if (u.hostname !== HOST) return new Response("unknown host", { status: 502 });
      proxied++;
      const headers = new Headers(req.headers);
      headers.delete("host");
      const dest = headers.get("destination");
      if (dest) {
        const d = new URL(dest);
        headers.set("destination", `${target.origin}${d.pathname}${d.search}`);
      }
      const res = await fetch(`${target.origin}${u.pathname}${u.search}`, {
        method: req.method,
        headers,
        // whole bodies: a streamed one goes out chunked, and nginx refuses a MOVE with a body
        body: req.headers.has("content-length") ? await req.arrayBuffer() : undefined,
        redirect: "manual",
      });
      return new Response(res.body, { status: res.status, headers: res.headers });
    });
    const proxyUrl = `http://127.0.0.1:${proxy.addr.port}`;
    const repo = makeRepo();
    try {
      const files: Record<string, string> = {};
      for (let i = 0; i < 20; i++) files[`data/f${i}.txt`] = `object ${i}\n`;
      writeFiles(repo, files);
      cairnOk(["add", "-q", "data"], { cwd: repo });
      cairnOk(["remote", "add", "-d", "store", `webdav://${HOST}:${target.port}/${prefix}`], {
        cwd: repo,
      });
      const push = await cairnAsync(["push", "-q"], repo, proxyUrl);
      assertEquals(push.code, 0, push.stderr);
      assert(proxied > 20, `requests through the proxy: ${proxied}`);
      const onServer = [...Deno.readDirSync(`${c.localRoot}/files/md5`)].length;
      assert(onServer > 0, "objects on the server");

      removeDir(`${repo}/.dvc/cache`);
      removeDir(`${repo}/data`);
      const pull = await cairnAsync(["pull", "-q"], repo, proxyUrl);
      assertEquals(pull.code, 0, pull.stderr);
      for (let i = 0; i < 20; i++) {
        assertEquals(Deno.readTextFileSync(`${repo}/data/f${i}.txt`), `object ${i}\n`);
      }
    } finally {
      await proxy.shutdown();
      removeDir(repo);
      removeTree(c.localRoot);
    }
  },
});
