import { assert, assertEquals, assertMatch, assertRejects } from "../../_rig/assert.ts";
import { join } from "node:path";
import { PluginPermissionError } from "../../../lib/plugin/loader.ts";
import { PluginRegistry, urlScheme } from "../../../lib/plugin/registry.ts";
import { BUILTIN_PLUGINS } from "../../../plugins/builtin.ts";
import { openRemote } from "../../../lib/plugin/remote.ts";
import { CairnError, ConfigError } from "../../../lib/errors.ts";
import { ROOT } from "../../plugins/_remotes.ts";
import { trustProjectPlugins } from "../../_rig/trust.ts";

const FIXTURES = join(ROOT, "tests", "plugins", "fixtures");

Deno.test("registry: built-ins by scheme, plain paths are local", () => {
  const reg = new PluginRegistry();
  assertEquals(reg.forUrl("/data/store").manifest.name, "remote_local");
  assertEquals(reg.forUrl("../store").manifest.name, "remote_local");
  assertEquals(reg.forUrl("file:///data").manifest.name, "remote_local");
  assertEquals(reg.forUrl("s3://b/p").manifest.name, "remote_s3");
  assertEquals(reg.forUrl("ssh://h/p").manifest.name, "remote_ssh");
  assertEquals(reg.forUrl("webdavs://h/p").manifest.name, "remote_http");
  assertEquals(reg.forUrl("https://h/p").manifest.name, "remote_http");
  assertEquals(urlScheme("user@host:path"), "ssh");
  assertEquals(BUILTIN_PLUGINS.filter((p) => p.manifest.kind === "remote").length, 4);
  for (const p of BUILTIN_PLUGINS) assert(p.module.endsWith(`/plugins/${p.manifest.name}/mod.ts`));
});

Deno.test("registry: a URL scheme with no plugin is one clear error", () => {
  const reg = new PluginRegistry();
  try {
    reg.forUrl("gs://bucket/x");
    throw new Error("no error");
  } catch (err) {
    assert(err instanceof CairnError);
    assertEquals(err.exitCode, 1);
    assertMatch(err.message, /no remote plugin handles 'gs:\/\/'/);
    assertMatch(err.hint ?? "", /s3:\/\//);
  }
});

Deno.test("local plugin runs with exactly its manifest's grant", async () => {
  const dir = Deno.makeTempDirSync();
  const remote = await openRemote({ url: `${dir}/store` }, {
    name: "st",
    cacheDir: `${dir}/cache`,
  });
  try {
    const real = Deno.realPathSync(dir);
    assertEquals(remote.plugin.permissions.read, [`${real}/store`, `${real}/cache`]);
    assertEquals(remote.plugin.permissions.net, []);
    assertEquals(remote.plugin.permissions.env, []);
    // Reading a file outside the grant: the item fails with the permission named.
    Deno.writeTextFileSync(`${dir}/secret`, "s");
    const res = await remote.put([{ src: `${dir}/secret`, key: "files/md5/aa/bb" }]);
    assert(!res[0].ok);
    const err = remote.itemError(res[0].error);
    assert(err instanceof PluginPermissionError);
    assertEquals(err.plugin, "remote_local");
    assertEquals(err.permission, "read");
    assertEquals(err.target, `${real}/secret`);
    assertMatch(err.message, /plugin 'remote_local' was denied read access/);
    assertMatch(err.hint ?? "", /cairn remote modify st url/);
  } finally {
    await remote.close();
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("project plugin from a path: manifest read without permissions, sandbox enforced", async () => {
  const reg = trustProjectPlugins(
    await PluginRegistry.create({ paths: ["remote_evil"], baseDir: FIXTURES }),
  );
  const spec = reg.get("remote_evil")!;
  assertEquals(spec.builtin, false);
  assertEquals(reg.forUrl("evil://127.0.0.1:9/x").manifest.name, "remote_evil");
  Deno.env.set("EVIL_ALLOWED", "yes");
  const remote = await openRemote({ url: "evil://127.0.0.1:9/x" }, { name: "ev", registry: reg });
  try {
    // Granted: the env var its manifest names.
    assertEquals(await remote.plugin.call("allowed", []), "yes");
    // Not granted: files, other hosts, other env vars, subprocesses.
    const read = await assertRejectsWith(() => remote.exists(["k"]));
    assertEquals([read.permission, read.target], ["read", "/etc/hostname"]);
    const net = await assertRejectsWith(() => remote.list(""));
    assertEquals([net.permission, net.target], ["net", "127.0.0.2:8080"]);
    assertMatch(net.hint ?? "", /it has net: 127\.0\.0\.1:9/);
    const env = await assertRejectsWith(() => remote.readBytes("k"));
    assertEquals([env.permission, env.target], ["env", "HOME"]);
    const run = await assertRejectsWith(() => remote.plugin.call("run", []));
    assertEquals(run.permission, "run");
  } finally {
    await remote.close();
  }
  // Failing already in create(): the start fails with the same error.
  const err = await assertRejectsWith(() =>
    openRemote({ url: "evil://h/x", steal_on_start: "true" }, { name: "ev", registry: reg })
  );
  assertEquals(err.plugin, "remote_evil");
});

Deno.test("extra grants widen a plugin's permissions", async () => {
  const reg = trustProjectPlugins(
    await PluginRegistry.create({ paths: [join(FIXTURES, "remote_evil")] }),
  );
  const remote = await openRemote({ url: "evil://h/x" }, {
    registry: reg,
    grants: { read: ["/etc/hostname"] },
  });
  try {
    assertEquals(await remote.exists(["k"]), [true]);
  } finally {
    await remote.close();
  }
});

Deno.test("rpc moves buffers instead of copying them", async () => {
  const reg = trustProjectPlugins(
    await PluginRegistry.create({ paths: [join(FIXTURES, "remote_evil")] }),
  );
  const remote = await openRemote({ url: "evil://h/x" }, { registry: reg });
  try {
    const data = new Uint8Array(1 << 20).fill(7);
    const back = await remote.plugin.call<Uint8Array>("echo", [data]);
    assertEquals(data.byteLength, 0); // transferred: detached on this side
    assertEquals(back.byteLength, 1 << 20);
    assertEquals(back[12345], 7);
  } finally {
    await remote.close();
  }
});

Deno.test("bad plugin paths and manifests are config errors", async () => {
  await assertRejects(() => PluginRegistry.create({ paths: ["/nonexistent/plugin"] }), ConfigError);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/manifest.ts`, `export const manifest = { name: "x" };`);
    Deno.writeTextFileSync(`${dir}/mod.ts`, `export function create() {}`);
    await assertRejects(() => PluginRegistry.create({ paths: [dir] }), ConfigError);
    // A manifest module that tries to do something while being read gets no permissions.
    Deno.writeTextFileSync(
      `${dir}/manifest.ts`,
      `Deno.readTextFileSync("/etc/hostname"); export const manifest = {};`,
    );
    await assertRejects(
      () => PluginRegistry.create({ paths: [dir] }),
      (e: Error) => e instanceof ConfigError && /Requires read access/.test(e.message),
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

async function assertRejectsWith(fn: () => Promise<unknown>): Promise<PluginPermissionError> {
  try {
    await fn();
  } catch (err) {
    assert(err instanceof PluginPermissionError, `expected PluginPermissionError, got ${err}`);
    return err;
  }
  throw new Error("expected a PluginPermissionError");
}
