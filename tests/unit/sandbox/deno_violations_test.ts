import { assertEquals, assertMatch } from "../../_rig/assert.ts";
import { denoViolations } from "../../../lib/sandbox/deno_violations.ts";

const ctx = { repoRoot: "/p", cacheDir: "/p/.dvc/cache", cwd: "/p/sub" };
const err = (kind: string, target: string) =>
  `\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Uncaught (in promise) NotCapable: Requires ${kind} access to "${target}", run again with the --allow-${kind} flag\n`;

Deno.test("deno violations: each denied permission names the grant that allows it", () => {
  const vs = denoViolations(
    err("read", "/p/data/x.csv") + err("read", "/etc/secret") + err("write", "notes.txt") +
      err("env", "API_KEY") + err("net", "127.0.0.1:8080") + err("run", "curl") +
      err("read", "/p/data/x.csv"),
    ctx,
  );
  assertEquals(vs.map((v) => [v.kind, v.subject]), [
    ["read", "/p/data/x.csv"],
    ["read", "/etc/secret"],
    ["write", "/p/sub/notes.txt"],
    ["env", "API_KEY"],
    ["net", "127.0.0.1:8080"],
    ["process", "run:curl"],
  ]);
  assertEquals(vs[0].fix, "deps:\n  - ../data/x.csv");
  assertEquals(vs[1].fix, "meta: {sandbox: {read: [/etc/secret]}}");
  assertEquals(vs[2].fix, "outs:\n  - notes.txt");
  assertEquals(vs[3].fix, "meta: {sandbox: {env: [API_KEY]}}");
  assertMatch(vs[4].fix!, /net: \["?127\.0\.0\.1:8080"?\]/);
  assertEquals(vs[5].fix, undefined);
  assertEquals(vs.every((v) => v.fatal), true);
});

Deno.test("deno violations: a write into the cache can never be granted", () => {
  const [v] = denoViolations(err("write", "/p/.dvc/cache/files/md5/ab/cd"), ctx);
  assertMatch(v.message, /inside the DVC cache/);
  assertEquals(v.fix, undefined);
});
