/**
 * mod.ts imported from outside the checkout with no import map: by file URL
 * and by HTTP URL (a static server on 127.0.0.1 serving the checkout), under
 * plain `deno run` in a temp dir that has no deno.json. The script drives a
 * real repo: init, add, push to a local remote (the plugin worker is loaded
 * from the same URL base), drop the cache, pull, read params.
 */
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { assertEquals } from "../_rig/assert.ts";
import { git, GIT_ENV, removeDir, ROOT } from "../_rig/rig.ts";

const CLIENT = `
const lib = await import(Deno.args[0]);
const dir = Deno.cwd();
lib.init(dir);
await Deno.writeTextFile("data.txt", "hello\\n");
await Deno.writeTextFile("params.yaml", "train:\\n  lr: 0.25\\n");
lib.addRemote(lib.openRepo(dir), "store", Deno.args[1], { default: true });
const repo = lib.openRepo(dir); // opened again: a repo handle keeps the config it was opened with
const added = await lib.add(repo, ["data.txt"]);
const pushed = await lib.push(repo);
await Deno.remove(".dvc/cache", { recursive: true });
await Deno.remove("data.txt");
const pulled = await lib.pull(repo);
console.log(JSON.stringify({
  added: added.added.length,
  pushed: pushed.transferred,
  pulled: pulled.transferred,
  data: await Deno.readTextFile("data.txt"),
  lr: lib.readParams("params.yaml", "train.lr"),
  version: typeof lib.VERSION,
}));
`;

const EXPECTED = { added: 1, pushed: 1, pulled: 1, data: "hello\n", lr: 0.25, version: "string" };

function clientDir(): { dir: string; remote: string } {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-liburl-" });
  const remote = Deno.makeTempDirSync({ prefix: "cairn-liburl-remote-" });
  git(["init", "-q"], dir);
  Deno.writeTextFileSync(join(dir, "client.ts"), CLIENT);
  return { dir, remote };
}

async function runClient(dir: string, args: string[], modUrl: string, remote: string) {
  // Async: the HTTP test's server runs in this process and must keep answering.
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "--unstable-worker-options", ...args, "client.ts", modUrl, remote],
    cwd: dir,
    env: { ...GIT_ENV, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stdout = dec.decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`client exited ${out.code}\n${stdout}\n${dec.decode(out.stderr)}`);
  }
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

Deno.test("mod.ts by file URL under plain deno run (no config, no import map)", async () => {
  const { dir, remote } = clientDir();
  try {
    assertEquals(relative(ROOT, dir).startsWith(".."), true);
    const url = pathToFileURL(join(ROOT, "mod.ts")).href;
    const out = await runClient(
      dir,
      ["--no-config", "--allow-read", "--allow-write", "--allow-run", "--allow-env", "--allow-sys"],
      url,
      remote,
    );
    assertEquals(out, EXPECTED);
  } finally {
    removeDir(dir);
    removeDir(remote);
  }
});

const TYPES: Record<string, string> = {
  ts: "application/typescript",
  js: "application/javascript",
  json: "application/json",
};

/** Serve the checkout on 127.0.0.1 (TLS when `tls` is given), run the client from it. */
async function viaServer(tls?: { cert: string; key: string; certFile: string }): Promise<void> {
  const served: string[] = [];
  const handler = async (req: Request) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    const file = join(ROOT, path);
    if (!file.startsWith(ROOT + "/")) return new Response("forbidden", { status: 403 });
    try {
      const body = await Deno.readFile(file);
      served.push(path);
      const ext = path.slice(path.lastIndexOf(".") + 1);
      return new Response(body, {
        headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
      });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return new Response("not found", { status: 404 });
      throw e;
    }
  };
  const listen = { hostname: "127.0.0.1", port: 0, onListen() {} };
  const server = tls
    ? Deno.serve({ ...listen, cert: tls.cert, key: tls.key }, handler)
    : Deno.serve(listen, handler);
  const { dir, remote } = clientDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    const scheme = tls ? "https" : "http";
    const out = await runClient(
      dir,
      [
        "--no-config",
        `--allow-import=${host}`,
        "--allow-read",
        "--allow-write",
        "--allow-run",
        "--allow-env",
        "--allow-sys",
        `--reload=${scheme}://127.0.0.1`,
        ...(tls ? ["--cert", tls.certFile] : []),
      ],
      `${scheme}://${host}/mod.ts`,
      remote,
    );
    assertEquals(out, EXPECTED);
    // The library and the remote plugin (its Worker) both came from the server.
    assertEquals(served.includes("/mod.ts"), true);
    assertEquals(served.includes("/plugins/remote_local/mod.ts"), true);
  } finally {
    await server.shutdown();
    removeDir(dir);
    removeDir(remote);
  }
}

Deno.test("mod.ts by HTTP URL from a static server on 127.0.0.1", () => viaServer());

/** Run openssl; throws with its stderr on failure. */
function openssl(args: string[], cwd: string): void {
  const r = new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .outputSync();
  if (r.code !== 0) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(r.stderr)}`);
}

Deno.test("mod.ts by HTTPS URL (a test CA passed with --cert)", async () => {
  const keys = Deno.makeTempDirSync({ prefix: "cairn-liburl-tls-" });
  try {
    // a CA and a server certificate for 127.0.0.1 signed by it (rustls refuses a CA as the leaf)
    openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=cairn test CA",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    ], keys);
    openssl([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "key.pem",
      "-out",
      "leaf.csr",
    ], keys);
    Deno.writeTextFileSync(
      join(keys, "ext.cnf"),
      "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    );
    openssl([
      "x509",
      "-req",
      "-in",
      "leaf.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "ext.cnf",
      "-out",
      "cert.pem",
    ], keys);
    await viaServer({
      cert: Deno.readTextFileSync(join(keys, "cert.pem")),
      key: Deno.readTextFileSync(join(keys, "key.pem")),
      certFile: join(keys, "ca.pem"),
    });
  } finally {
    removeDir(keys);
  }
});
