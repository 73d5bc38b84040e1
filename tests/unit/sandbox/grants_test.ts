import { assertEquals, assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
import {
  filterEnv,
  hostAllowed,
  parseHostGrant,
  parsePolicy,
  parseSandboxMeta,
  resolveGrants,
} from "../../../lib/sandbox/grants.ts";
import { SandboxGrantError } from "../../../lib/sandbox/errors.ts";
import { makeProject } from "./_fixture.ts";

Deno.test("grants: parse the documented example", () => {
  const spec = parseSandboxMeta({
    sandbox: {
      policy: "hermetic",
      net: ["pypi.example.org:443", "*.s3.amazonaws.com", "[::1]:8080"],
      env: ["WANDB_API_KEY", "AWS_*"],
      read: ["/datasets/shared"],
      write: ["/scratch/$USER", { path: "/", force: true }],
    },
    other: "kept for others",
  }, { stage: "train" });
  assertStrictEquals(spec.policy, "hermetic");
  assertEquals(spec.net, [
    { host: "pypi.example.org", port: 443, raw: "pypi.example.org:443" },
    { host: "*.s3.amazonaws.com", port: undefined, raw: "*.s3.amazonaws.com" },
    { host: "::1", port: 8080, raw: "[::1]:8080" },
  ]);
  assertEquals(spec.env, ["WANDB_API_KEY", "AWS_*"]);
  assertEquals(spec.read, [{ path: "/datasets/shared", force: false }]);
  assertEquals(spec.write, [
    { path: "/scratch/$USER", force: false },
    { path: "/", force: true },
  ]);
});

Deno.test("grants: absent meta or sandbox key = no grants; policy words", () => {
  assertEquals(parseSandboxMeta(undefined), { net: [], env: [], read: [], write: [] });
  assertEquals(parseSandboxMeta({ owner: "x" }).write, []);
  assertStrictEquals(parseSandboxMeta({ sandbox: "on" }).policy, "on");
  assertStrictEquals(parseSandboxMeta({ sandbox: { net: true } }).net, true);
  assertStrictEquals(parsePolicy(true), "on");
  assertStrictEquals(parsePolicy("off"), "off");
});

Deno.test("grants: errors name the stage and the key", () => {
  const bad: [unknown, RegExp][] = [
    [{ writes: ["/x"] }, /stage 'train': meta.sandbox: unknown key 'writes'/],
    [{ policy: "strict" }, /policy must be one of off, on, hermetic/],
    [{ net: ["*"] }, /net: '\*' would open every host/],
    [{ net: ["a.*.com"] }, /wildcard/],
    [{ net: ["host:99999"] }, /invalid port/],
    [{ net: [42] }, /net: entries must be host strings/],
    [{ net: "yes please" }, /not a host/],
    [{ env: ["BAD-NAME"] }, /env: 'BAD-NAME' is not a variable name/],
    [{ read: "" }, /read: entries must be paths/],
    [{ write: [{ path: "/x", mode: "rw" }] }, /write: unknown key 'mode'/],
    [{ write: { path: "/x" } }, /write must be a list/],
    [["on"], /must be a mapping/],
  ];
  for (const [sandbox, re] of bad) {
    assertThrows(
      () => parseSandboxMeta({ sandbox }, { stage: "train" }),
      (e: unknown) => e instanceof SandboxGrantError && re.test(e.message),
      JSON.stringify(sandbox),
    );
  }
});

Deno.test("grants: host matching", () => {
  const g = ["pypi.org:443", "*.example.com", "10.0.0.1:*"].map((h) => parseHostGrant(h));
  assertStrictEquals(hostAllowed(g, "pypi.org", 443), true);
  assertStrictEquals(hostAllowed(g, "PyPI.org.", 443), true);
  assertStrictEquals(hostAllowed(g, "pypi.org", 80), false);
  assertStrictEquals(hostAllowed(g, "files.pypi.org", 443), false);
  assertStrictEquals(hostAllowed(g, "a.example.com", 1), true);
  assertStrictEquals(hostAllowed(g, "a.b.example.com", 443), true);
  assertStrictEquals(hostAllowed(g, "example.com", 443), false);
  assertStrictEquals(hostAllowed(g, "badexample.com", 443), false);
  assertStrictEquals(hostAllowed(g, "10.0.0.1", 5432), true);
});

Deno.test("grants: resolve paths, expand $VAR and ~, refuse dangerous writes", async () => {
  const p = await makeProject();
  try {
    const scratch = `${p.outside}/scratch/alice`;
    Deno.mkdirSync(scratch, { recursive: true });
    const base = {
      stage: "train",
      cwd: p.root,
      repoRoot: p.root,
      cacheDir: p.cacheDir,
      env: { USER: "alice", HOME: `${p.outside}/home`, SCR: p.outside },
    };
    Deno.mkdirSync(`${p.outside}/home/sub`, { recursive: true });
    const r = resolveGrants(
      parseSandboxMeta({
        sandbox: {
          read: ["data", "${SCR}/scratch/$USER", "missing/dir"],
          write: ["$SCR/scratch/${USER}", "~/sub"],
        },
      }),
      base,
    );
    assertEquals(r.read.map((x) => [x.path, x.exists, x.isDir]), [
      [`${p.root}/data`, true, true],
      [scratch, true, true],
      [`${p.root}/missing/dir`, false, false],
    ]);
    assertEquals(r.write.map((x) => x.real), [scratch, `${p.outside}/home/sub`]);

    const refuse = (write: unknown, re: RegExp) =>
      assertThrows(
        () => resolveGrants(parseSandboxMeta({ sandbox: { write } }), base),
        (e: unknown) =>
          e instanceof SandboxGrantError && /^stage 'train'/.test(e.message) && re.test(e.message),
        JSON.stringify(write),
      );
    refuse(["/"], /whole filesystem/);
    refuse(["~"], /home folder/);
    refuse([p.outside], /contains the home folder/);
    refuse([".dvc/cache"], /DVC cache/);
    refuse([".dvc/cache/files"], /DVC cache/);
    refuse([".dvc"], /DVC cache/); // .dvc contains the cache
    refuse([".git"], /\.git or \.dvc/);
    refuse(["."], /whole project/);
    refuse(["/scratch/$NOPE"], /uses \$NOPE, which is not set/);
    refuse(["does/not/exist"], /does not exist/);
    // A symlink to / is still /.
    Deno.symlinkSync("/", `${p.outside}/root-link`);
    refuse([`${p.outside}/root-link`], /whole filesystem/);
    // A symlink into the cache is the cache.
    Deno.symlinkSync(p.cacheDir, `${p.root}/cache-link`);
    refuse(["cache-link"], /DVC cache/);
    // force lifts the refusal.
    const forced = resolveGrants(
      parseSandboxMeta({ sandbox: { write: [{ path: "/", force: true }] } }),
      base,
    );
    assertStrictEquals(forced.write[0].real, "/");
    // The project's own subfolders are fine.
    const sub = resolveGrants(parseSandboxMeta({ sandbox: { write: ["data"] } }), base);
    assertStrictEquals(sub.write[0].real, `${p.root}/data`);
  } finally {
    await p.cleanup();
  }
});

Deno.test("grants: filterEnv keeps the basic set, LC_*, and granted names/prefixes", () => {
  const { env, withheld } = filterEnv(
    {
      PATH: "/bin",
      HOME: "/h",
      LC_ALL: "C",
      TERM: "xterm",
      DVC_ROOT: "/r",
      SECRET: "s",
      AWS_ACCESS_KEY_ID: "a",
      AWS_REGION: "r",
      WANDB_API_KEY: "w",
    },
    ["AWS_*", "WANDB_API_KEY"],
  );
  assertEquals(Object.keys(env).sort(), [
    "AWS_ACCESS_KEY_ID",
    "AWS_REGION",
    "DVC_ROOT",
    "HOME",
    "LC_ALL",
    "PATH",
    "TERM",
    "WANDB_API_KEY",
  ]);
  assertEquals(withheld, ["SECRET"]);
});
