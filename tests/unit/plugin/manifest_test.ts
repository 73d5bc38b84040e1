import { assert, assertEquals, assertThrows } from "../../_rig/assert.ts";
import {
  configKeysFor,
  fillTemplate,
  placeholderValues,
  type PluginManifest,
  resolvePermissions,
  validateManifest,
} from "../../../lib/plugin/manifest.ts";
import { manifest as sshManifest } from "../../../plugins/remote_ssh/manifest.ts";
import { manifest as s3Manifest } from "../../../plugins/remote_s3/manifest.ts";
import { manifest as httpManifest } from "../../../plugins/remote_http/manifest.ts";
import { manifest as localManifest } from "../../../plugins/remote_local/manifest.ts";
import { ConfigError } from "../../../lib/errors.ts";

const noEnv = { HOME: "/home/u" };

Deno.test("placeholders: url parts, config keys, alternatives, literals", () => {
  const v = placeholderValues({
    remote: { url: "ssh://bob@example.com:2222/data/store", keyfile: "/k" },
    cacheDir: "/c",
    env: noEnv,
  });
  assertEquals(v["remote.url.hostname"], "example.com");
  assertEquals(v["remote.url.host"], "example.com:2222");
  assertEquals(v["remote.port"], "2222");
  assertEquals(v["remote.path"], "/data/store");
  assertEquals(v["remote.user"], "bob");
  assertEquals(v.cacheDir, "/c");
  assertEquals(fillTemplate("{remote.host}:{remote.port}", v, noEnv), "example.com:2222");
  assertEquals(fillTemplate("{remote.password}", v, noEnv), undefined);
  assertEquals(fillTemplate("{remote.password|remote.keyfile}", v, noEnv), "/k");
  assertEquals(fillTemplate("s3.{remote.region|'us-east-1'}.x", v, noEnv), "s3.us-east-1.x");
  assertEquals(fillTemplate("{env.NOPE|home}/.ssh", v, noEnv), "/home/u/.ssh");
});

Deno.test("placeholders: default ports by scheme, config port wins", () => {
  const a = placeholderValues({ remote: { url: "ssh://h/p" }, env: noEnv });
  assertEquals(a["remote.port"], "22");
  const b = placeholderValues({ remote: { url: "ssh://h/p", port: "2200" }, env: noEnv });
  assertEquals(b["remote.port"], "2200");
  const c = placeholderValues({ remote: { url: "webdavs://h/p" }, env: noEnv });
  assertEquals(c["remote.port"], "443");
  const d = placeholderValues({ remote: { url: "/plain/path" }, env: noEnv });
  assertEquals(d["remote.path"], "/plain/path");
});

Deno.test("resolvePermissions: ssh gets only its host, key file and cache", () => {
  const p = resolvePermissions(sshManifest, {
    remote: { url: "ssh://127.0.0.1:2222/srv/dvc", keyfile: "/nonexistent-dir/key" },
    cacheDir: "/nonexistent-cache",
    env: noEnv,
  });
  assertEquals(p.net, ["127.0.0.1:2222"]);
  assertEquals(p.read, ["/nonexistent-cache", "/nonexistent-dir/key"]);
  assertEquals(p.write, ["/nonexistent-cache"]);
  assertEquals(p.run, []);
  // Without a key file the user's ~/.ssh is the fallback alternative.
  const q = resolvePermissions(sshManifest, {
    remote: { url: "ssh://h/srv" },
    cacheDir: "/nonexistent-cache",
    env: noEnv,
  });
  assertEquals(q.read, ["/nonexistent-cache", "/home/u/.ssh"]);
  assertEquals(q.net, ["h:22"]);
});

Deno.test("resolvePermissions: S3 endpoint or the bucket's AWS host", () => {
  const moto = resolvePermissions(s3Manifest, {
    remote: { url: "s3://b/p", endpointurl: "http://127.0.0.1:9000" },
    env: noEnv,
  });
  assertEquals(moto.net, ["127.0.0.1:9000"]);
  const aws = resolvePermissions(s3Manifest, {
    remote: { url: "s3://bucket/p", region: "eu-west-1" },
    env: noEnv,
  });
  assertEquals(aws.net, ["bucket.s3.eu-west-1.amazonaws.com"]);
  assert(aws.env.includes("AWS_ACCESS_KEY_ID"));
  assert(!aws.env.includes("HOME"));
});

Deno.test("resolvePermissions: http and local", () => {
  const h = resolvePermissions(httpManifest, {
    remote: { url: "webdav://dav.example:8080/x" },
    cacheDir: "/nonexistent-cache",
    env: noEnv,
  });
  assertEquals(h.net, ["dav.example:8080"]);
  const l = resolvePermissions(localManifest, {
    remote: { url: "/nonexistent-store" },
    cacheDir: "/nonexistent-cache",
    env: noEnv,
  });
  assertEquals(l.read, ["/nonexistent-store", "/nonexistent-cache"]);
  assertEquals(l.net, []);
});

Deno.test("resolvePermissions: a symlinked grant is granted where it really points", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(`${dir}/real`);
    Deno.symlinkSync(`${dir}/real`, `${dir}/link`);
    const p = resolvePermissions(localManifest, {
      remote: { url: `${dir}/link/store` },
      cacheDir: `${dir}/link`,
      env: noEnv,
    });
    const real = Deno.realPathSync(`${dir}/real`);
    assertEquals(p.read, [`${real}/store`, real]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("configKeysFor names the keys a grant follows", () => {
  assertEquals(configKeysFor(sshManifest, "net"), ["url", "port"]);
  assert(configKeysFor(sshManifest, "read").includes("keyfile"));
  assert(configKeysFor(s3Manifest, "net").includes("endpointurl"));
});

Deno.test("validateManifest rejects malformed third-party manifests", () => {
  const good: PluginManifest = {
    name: "remote_x",
    apiVersion: 1,
    kind: "remote",
    schemes: ["x"],
    permissions: { read: ["{cacheDir}"], net: [["{remote.host}", "'h'"]] },
  };
  assertEquals(validateManifest(good, "m.ts"), good);
  for (
    const bad of [
      null,
      { ...good, name: "Bad Name" },
      { ...good, apiVersion: 2 },
      { ...good, kind: "other" },
      { ...good, permissions: { sys: ["x"] } },
      { ...good, permissions: { read: [1] } },
    ]
  ) {
    assertThrows(() => validateManifest(bad, "m.ts"), ConfigError);
  }
});
