/**
 * The `deno` runner through `cairn repro`, with a real `deno run` stage:
 * under a sandbox policy a Deno script gets --allow-read = deps + its code,
 * --allow-write = outs, net/env = exactly its grants (no bwrap involved);
 * each undeclared access fails the stage naming it and the grant; policy off
 * runs the command as DVC would.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { CAIRN, exists, git, GIT_ENV, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { startServer } from "../unit/sandbox/_fixture.ts";

const dec = new TextDecoder();

async function cairnAsync(args: string[], cwd: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(CAIRN, {
    args,
    cwd,
    env: { ...GIT_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const SCRIPT = `const [inp, out, mode, arg] = Deno.args;
const lines = Deno.readTextFileSync(inp).trim().split("\\n").length;
const result: Record<string, unknown> = { lines };
if (mode === "read") result.secret = Deno.readTextFileSync("secret.txt");
if (mode === "env") result.env = Deno.env.get("CAIRN_TEST_SECRET");
if (mode === "net") result.page = await (await fetch(\`http://127.0.0.1:\${arg}/\`)).text();
if (mode === "write") Deno.writeTextFileSync("notes.txt", "n");
if (mode === "run") new Deno.Command("true").outputSync();
Deno.writeTextFileSync(out, JSON.stringify(result));
`;

function dvcYaml(cmd: string, meta = "{sandbox: {policy: on}}"): string {
  return [
    "stages:",
    "  proc:",
    `    cmd: ${cmd}`,
    "    deps: [process.ts, data.csv]",
    "    outs: [out.json]",
    `    meta: ${meta}`,
    "",
  ].join("\n");
}

function repoWith(cmd: string, meta?: string): string {
  const repo = makeRepo();
  writeFiles(repo, {
    "process.ts": SCRIPT,
    "data.csv": "a\nb\nc\n",
    "secret.txt": "top secret\n",
    "dvc.yaml": dvcYaml(cmd, meta),
  });
  git(["add", "-A"], repo);
  git(["commit", "-qm", "pipeline"], repo);
  return repo;
}

const server = startServer();
const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name:
    "deno runner: a declared Deno stage runs confined (its -A ignored), output and lock written",
  ...opts,
  fn: async () => {
    const repo = repoWith("deno run -A process.ts data.csv out.json");
    try {
      const r = await cairnAsync(["repro"], repo);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(Deno.readTextFileSync(`${repo}/out.json`)), { lines: 3 });
      assertMatch(r.stderr, /policy on, runner deno/);
      assertMatch(r.stderr, /permission flags \(-A\) were ignored/);
      assertMatch(Deno.readTextFileSync(`${repo}/dvc.lock`), /proc:/);
    } finally {
      removeDir(repo);
    }
  },
});

interface DenoCase {
  mode: string;
  expect: RegExp[];
  meta?: string;
  env?: Record<string, string>;
  granted?: { meta: string; check: (out: Record<string, unknown>) => void };
}

const CASES: DenoCase[] = [
  {
    mode: "read",
    expect: [
      /tried to read 'secret\.txt', which is not a declared dependency/,
      /deps:\s+- secret\.txt/,
    ],
  },
  {
    mode: "env",
    env: { CAIRN_TEST_SECRET: "s3cr3t" },
    expect: [/CAIRN_TEST_SECRET/, /meta: \{sandbox: \{env: \[CAIRN_TEST_SECRET\]\}\}/],
    granted: {
      meta: "{sandbox: {policy: on, env: [CAIRN_TEST_SECRET]}}",
      check: (o) => assertEquals(o.env, "s3cr3t"),
    },
  },
  {
    mode: "net",
    expect: [/network access to 127\.0\.0\.1:PORT denied/, /net: \["?127\.0\.0\.1:PORT"?\]/],
    granted: {
      meta: "{sandbox: {policy: hermetic, net: ['127.0.0.1:PORT']}}",
      check: (o) => assertEquals(o.page, "hello from host\n"),
    },
  },
  {
    mode: "write",
    expect: [/notes\.txt', which is not a declared output/, /outs:\s+- notes\.txt/],
  },
  { mode: "run", expect: [/run access/, /may not start programs/] },
];

for (const c of CASES) {
  Deno.test({
    name: `deno runner: a Deno stage that tries '${c.mode}' is stopped${
      c.granted ? "; granted, it runs" : ""
    }`,
    ...opts,
    fn: async () => {
      const port = String(server.port);
      const cmd = `deno run process.ts data.csv out.json ${c.mode} ${port}`;
      const repo = repoWith(cmd);
      try {
        const hits = server.hits;
        const r = await cairnAsync(["repro"], repo, c.env);
        assert(r.code !== 0, `must fail: ${r.stderr}`);
        assertMatch(r.stderr, /the sandbox \(policy on, runner deno\) stopped it/);
        for (const re of c.expect) {
          assertMatch(r.stderr, new RegExp(re.source.replaceAll("PORT", port)));
        }
        assert(!exists(`${repo}/dvc.lock`), "no lock entry for a failed stage");
        assert(!exists(`${repo}/notes.txt`));
        assertEquals(server.hits, hits);
        if (c.granted) {
          writeFiles(repo, { "dvc.yaml": dvcYaml(cmd, c.granted.meta.replaceAll("PORT", port)) });
          const ok = await cairnAsync(["repro"], repo, c.env);
          assertEquals(ok.code, 0, ok.stderr);
          c.granted.check(JSON.parse(Deno.readTextFileSync(`${repo}/out.json`)));
        }
      } finally {
        removeDir(repo);
      }
    },
  });
}

Deno.test({
  name: "deno runner: policy off runs the command as DVC would (its own -A counts)",
  ...opts,
  fn: async () => {
    const repo = repoWith("deno run -A process.ts data.csv out.json read", "{}");
    try {
      const r = await cairnAsync(["repro"], repo);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(Deno.readTextFileSync(`${repo}/out.json`)).secret, "top secret\n");
    } finally {
      removeDir(repo);
    }
  },
});

Deno.test({
  name: "deno runner: chosen for a command it cannot run, the repro fails before running anything",
  ...opts,
  fn: async () => {
    const repo = repoWith("cat data.csv > out.json", "{sandbox: {runner: deno, policy: on}}");
    try {
      const r = await cairnAsync(["repro"], repo);
      assert(r.code !== 0);
      assertMatch(
        r.stderr,
        /runner 'deno' does not handle the command 'cat data\.csv > out\.json'/,
      );
      assert(!exists(`${repo}/out.json`));
      const list = await cairnAsync(["runners", "list", "--json"], repo);
      const names = JSON.parse(list.stdout).map((p: { runner: string }) => p.runner);
      assertEquals(names, ["shell", "deno", "slurm"]);
    } finally {
      removeDir(repo);
    }
  },
});

globalThis.addEventListener("unload", () => void server.close());
