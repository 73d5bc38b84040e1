/**
 * Sandboxed stages through `cairn repro` (real bwrap and real Landlock, real
 * loopback HTTP server), for each backend, as root and as an unprivileged
 * user: for policies on and hermetic, each undeclared action is stopped,
 * the stage fails with a message naming what it tried and the grant that
 * allows it, dvc.lock and the cache keep only the stages that succeeded, and
 * the granted variant succeeds.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { CAIRN, exists, git, GIT_ENV, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { startServer } from "../unit/sandbox/_fixture.ts";
import { cairnAsUser, chownTo, unprivilegedUser } from "../security/_sec.ts";

const dec = new TextDecoder();

/** `scripts/cairn ARGS` without blocking the event loop (the test's HTTP server must answer). */
async function cairnAsync(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
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

const INPUT = "input\n";
const INPUT_MD5 = createHash("md5").update(INPUT).digest("hex");

interface Case {
  /** the `bad` stage's command; OUTSIDE, PORT, OBJ are replaced. */
  cmd: string;
  /** what the failure message must contain. */
  expect: RegExp[];
  /** the granted variant: extra dvc.yaml lines for `bad` (outs/deps/meta). */
  grant?: { outs?: string[]; deps?: string[]; meta?: string; cmd?: string };
  /** checked after the granted run. */
  granted?: (repo: string, outside: string) => void;
  /** checked after the stopped run. */
  stopped?: (repo: string, outside: string) => void | Promise<void>;
  /** policies the case applies to (default both). */
  policies?: ("on" | "hermetic")[];
  env?: Record<string, string>;
}

function pipeline(cmd: string, extra: Case["grant"] = {}): string {
  const deps = ["mid.txt", ...(extra.deps ?? [])];
  const outs = ["out.txt", ...(extra.outs ?? [])];
  return [
    "stages:",
    "  prep:",
    "    cmd: cp in.txt mid.txt",
    "    deps: [in.txt]",
    "    outs: [mid.txt]",
    "  bad:",
    `    cmd: ${JSON.stringify(extra.cmd ?? cmd)}`,
    `    deps: [${deps.join(", ")}]`,
    `    outs: [${outs.join(", ")}]`,
    ...(extra.meta ? [`    meta: ${extra.meta}`] : []),
    "",
  ].join("\n");
}

function cacheObjects(repo: string): string[] {
  const root = `${repo}/.dvc/cache/files/md5`;
  if (!exists(root)) return [];
  const out: string[] = [];
  for (const d of Deno.readDirSync(root)) {
    for (const f of Deno.readDirSync(`${root}/${d.name}`)) out.push(d.name + f.name);
  }
  return out.sort();
}

function lockStages(repo: string): string[] {
  const p = `${repo}/dvc.lock`;
  if (!exists(p)) return [];
  return [...Deno.readTextFileSync(p).matchAll(/^ {2}(\w+):$/gm)].map((m) => m[1]);
}

const server = startServer();
const serverPort = server.port;

const objPath = `.dvc/cache/files/md5/${INPUT_MD5.slice(0, 2)}/${INPUT_MD5.slice(2)}`;

const CASES: Record<string, Case> = {
  "writes a project file it does not declare": {
    cmd: "cat mid.txt > out.txt; echo note > notes.txt",
    // bwrap undoes the write ("wrote"), Landlock refuses it ("tried to write").
    expect: [
      /(wrote|tried to write) 'notes\.txt', which is not a declared output/,
      /outs:\s+- notes\.txt/,
    ],
    stopped: (repo) => assert(!exists(`${repo}/notes.txt`), "undeclared file removed"),
    grant: { outs: ["notes.txt"] },
    granted: (repo) => assertEquals(Deno.readTextFileSync(`${repo}/notes.txt`), "note\n"),
  },
  "writes outside the project": {
    cmd: "cat mid.txt > out.txt; echo x > OUTSIDE/f.txt",
    expect: [/OUTSIDE\/f\.txt/, /meta: \{sandbox: \{write: \[OUTSIDE\]\}\}/],
    stopped: (_r, outside) => assert(!exists(`${outside}/f.txt`)),
    grant: { meta: "{sandbox: {write: [OUTSIDE]}}" },
    granted: (_r, outside) => assertEquals(Deno.readTextFileSync(`${outside}/f.txt`), "x\n"),
  },
  "reads a project file it does not declare": {
    policies: ["hermetic"],
    cmd: "cat mid.txt secret_data.txt > out.txt",
    expect: [/secret_data\.txt/, /deps:\s+- secret_data\.txt/],
    grant: { deps: ["secret_data.txt"] },
    granted: (repo) =>
      assertEquals(Deno.readTextFileSync(`${repo}/out.txt`), INPUT + "do not read\n"),
  },
  "connects to a loopback HTTP server": {
    cmd: "cat mid.txt > out.txt; curl -sS --max-time 10 http://127.0.0.1:PORT/ -o page.txt",
    expect: [/127\.0\.0\.1:PORT/, /meta: \{sandbox: \{net: \["?127\.0\.0\.1:PORT"?\]\}\}/],
    grant: { outs: ["page.txt"], meta: "{sandbox: {net: ['127.0.0.1:PORT']}}" },
    granted: (repo) => assertEquals(Deno.readTextFileSync(`${repo}/page.txt`), "hello from host\n"),
  },
  "reads a secret environment variable": {
    env: { CAIRN_TEST_SECRET: "s3cr3t" },
    cmd: 'cat mid.txt > out.txt; test -n "$CAIRN_TEST_SECRET" && echo "$CAIRN_TEST_SECRET" > s.txt',
    expect: [/CAIRN_TEST_SECRET/, /meta: \{sandbox: \{env: \[CAIRN_TEST_SECRET\]\}\}/],
    stopped: (repo) => assert(!exists(`${repo}/s.txt`)),
    grant: { outs: ["s.txt"], meta: "{sandbox: {env: [CAIRN_TEST_SECRET]}}" },
    granted: (repo) => assertEquals(Deno.readTextFileSync(`${repo}/s.txt`), "s3cr3t\n"),
  },
  "writes through a symlink pointing outside": {
    policies: ["on"],
    cmd: "cat mid.txt > out.txt; echo pwned > escape/pwned.txt",
    expect: [/escape\/pwned\.txt/, /through a symlink/],
    stopped: (_r, outside) => assert(!exists(`${outside}/pwned.txt`), "nothing escaped"),
    grant: { meta: "{sandbox: {write: [OUTSIDE]}}" },
    granted: (_r, outside) => assert(exists(`${outside}/pwned.txt`)),
  },
  "writes through a symlink pointing outside (hermetic)": {
    policies: ["hermetic"],
    cmd: "cat mid.txt > out.txt; echo pwned > escape/pwned.txt",
    // hermetic: the undeclared link is not even visible.
    expect: [/escape/],
    stopped: (_r, outside) => assert(!exists(`${outside}/pwned.txt`), "nothing escaped"),
    grant: {
      meta: "{sandbox: {write: [OUTSIDE]}}",
      cmd: "cat mid.txt > out.txt; echo pwned > OUTSIDE/pwned.txt",
    },
    granted: (_r, outside) => assert(exists(`${outside}/pwned.txt`)),
  },
  "writes into the DVC cache": {
    cmd: `cat mid.txt > out.txt; chmod u+w ${objPath}; echo evil > ${objPath}`,
    expect: [/DVC cache/],
    stopped: (repo) => assertEquals(Deno.readTextFileSync(`${repo}/${objPath}`), INPUT),
  },
  "leaves a background process behind": {
    cmd: "cat mid.txt > out.txt; sleep 31337 &",
    expect: [/background process/, /sleep/],
    stopped: async () => {
      const ps = await new Deno.Command("pgrep", { args: ["-f", "sleep 31337"] }).output();
      assertEquals(dec.decode(ps.stdout).trim(), "", "the background process was killed");
    },
    grant: { cmd: "cat mid.txt > out.txt; sleep 0.2 & wait" },
  },
};

function fill(s: string, outside: string): string {
  return s.replaceAll("OUTSIDE", outside).replaceAll("PORT", String(serverPort));
}
function fillRe(re: RegExp, outside: string): RegExp {
  return new RegExp(
    re.source.replaceAll("OUTSIDE", outside.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&"))
      .replaceAll("PORT", String(serverPort)),
  );
}

type Backend = "bwrap" | "landlock";

/** `cairn ARGS` as root (the test's user) or as the unprivileged user. */
async function cairnAs(
  asUser: boolean,
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!asUser) return await cairnAsync(args, cwd, env);
  const r = await cairnAsUser(unprivilegedUser()!, args, { cwd, env });
  assert(!r.killed, `cairn hung\n${r.stdout}\n${r.stderr}`);
  return r;
}

// As an unprivileged user too when the suite runs as root (CI); else it already is one.
const USERS = Deno.uid() === 0 ? [false, true] : [false];

for (const backend of ["bwrap", "landlock"] as Backend[]) {
  for (const asUser of USERS) {
    for (const policy of ["on", "hermetic"] as const) {
      for (const [name, c] of Object.entries(CASES)) {
        if (c.policies && !c.policies.includes(policy)) continue;
        registerCase(backend, asUser, policy, name, c);
      }
    }
  }
}

const other = startServer();

for (const backend of ["bwrap", "landlock"] as Backend[]) {
  for (const asUser of USERS) {
    const who = asUser ? "unprivileged user" : Deno.uid() === 0 ? "root" : "user";
    Deno.test({
      name: `sandbox on (${backend}, ${who}): a host-list grant reaches the granted host ` +
        `through cairn's proxy; another host, and the granted one without the proxy, are refused`,
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        const repo = makeRepo();
        const curl = "curl -sS --max-time 10";
        const cmd = [
          `${curl} http://127.0.0.1:${serverPort}/ -o page.txt`,
          // Direct, ignoring the proxy: bwrap has no route, Landlock allows only the proxy's port.
          `if ${curl} --noproxy '*' http://127.0.0.1:${serverPort}/ -o /dev/null; then echo direct > out.txt; exit 0; fi`,
          `${curl} -f http://127.0.0.1:${other.port}/ -o other.txt`,
        ].join("; ");
        try {
          writeFiles(repo, {
            "in.txt": INPUT,
            "dvc.yaml": [
              "stages:",
              "  fetch:",
              `    cmd: ${JSON.stringify(cmd)}`,
              "    outs: [page.txt, out.txt, other.txt]",
              `    meta: {sandbox: {net: ['127.0.0.1:${serverPort}']}}`,
              "",
            ].join("\n"),
          });
          git(["add", "-A"], repo);
          git(["commit", "-qm", "pipeline"], repo);
          if (asUser) chownTo(unprivilegedUser()!, repo);
          const hits = [server.hits, other.hits];
          const r = await cairnAs(
            asUser,
            ["repro", "--sandbox=on", `--sandbox-backend=${backend}`],
            repo,
          );
          assert(r.code !== 0, `the stage must fail\n${r.stdout}\n${r.stderr}`);
          // The granted host answered through the proxy, exactly once.
          assertEquals(Deno.readTextFileSync(`${repo}/page.txt`), "hello from host\n");
          assertEquals(server.hits, hits[0] + 1, "granted host: once, through the proxy");
          assert(!exists(`${repo}/out.txt`), "the direct connection was refused");
          // The other host: refused by the proxy, named with its grant.
          assertEquals(other.hits, hits[1], "the other host was never reached");
          assertMatch(r.stderr, new RegExp(`127\\.0\\.0\\.1:${other.port}`));
          assertMatch(r.stderr, new RegExp(`net: \\["?127\\.0\\.0\\.1:${other.port}"?\\]`));
          assertEquals(lockStages(repo), []);
        } finally {
          removeDir(repo);
        }
      },
    });
  }
}

function registerCase(
  backend: Backend,
  asUser: boolean,
  policy: "on" | "hermetic",
  name: string,
  c: Case,
): void {
  const who = asUser ? "unprivileged user" : Deno.uid() === 0 ? "root" : "user";
  Deno.test({
    name: `sandbox ${policy} (${backend}, ${who}): a stage that ${name} is stopped${
      c.grant ? "; granted, it runs" : ""
    }`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const repo = makeRepo();
      const outside = Deno.makeTempDirSync({ dir: "/var/tmp", prefix: "cairn-e2e-outside-" });
      const flags = ["repro", `--sandbox=${policy}`, `--sandbox-backend=${backend}`];
      try {
        writeFiles(repo, {
          "in.txt": INPUT,
          "secret_data.txt": "do not read\n",
          "dvc.yaml": pipeline(fill(c.cmd, outside)),
        });
        Deno.symlinkSync(outside, `${repo}/escape`);
        git(["add", "-A"], repo);
        git(["commit", "-qm", "pipeline"], repo);
        if (asUser) {
          chownTo(unprivilegedUser()!, repo);
          chownTo(unprivilegedUser()!, outside);
        }
        const hitsBefore = server.hits;

        const r = await cairnAs(asUser, flags, repo, c.env);
        assert(r.code !== 0, `the stage must fail\n${r.stdout}\n${r.stderr}`);
        assertMatch(r.stderr, /failed to reproduce 'bad'/);
        assertMatch(r.stderr, new RegExp(`the sandbox \\(policy ${policy}, runner shell\\)`));
        for (const re of c.expect) assertMatch(r.stderr, fillRe(re, outside));
        // Consistent: prep recorded and cached, bad neither.
        assertEquals(lockStages(repo), ["prep"]);
        assertEquals(cacheObjects(repo), [INPUT_MD5]);
        assertEquals(Deno.readTextFileSync(`${repo}/${objPath}`), INPUT);
        assertEquals(server.hits, hitsBefore, "the server was never reached");
        await c.stopped?.(repo, outside);

        if (c.grant) {
          const g = c.grant;
          writeFiles(repo, {
            "dvc.yaml": pipeline(fill(c.cmd, outside), {
              ...g,
              cmd: g.cmd ? fill(g.cmd, outside) : undefined,
              meta: g.meta ? fill(g.meta, outside) : undefined,
            }),
          });
          if (asUser) chownTo(unprivilegedUser()!, repo);
          const ok = await cairnAs(asUser, flags, repo, c.env);
          assertEquals(ok.code, 0, `granted variant must run\n${ok.stdout}\n${ok.stderr}`);
          assertMatch(ok.stdout, /Stage 'prep' didn't change, skipping/);
          assertEquals(lockStages(repo), ["prep", "bad"]);
          c.granted?.(repo, outside);
        }
      } finally {
        removeDir(repo);
        removeDir(outside);
      }
    },
  });
}

Deno.test({
  name: "sandbox: policy from .dvc/cairn.yaml and stage meta; --sandbox=off wins",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const repo = makeRepo();
    try {
      writeFiles(repo, {
        "in.txt": INPUT,
        "dvc.yaml": pipeline("cat mid.txt > out.txt; echo n > notes.txt"),
        ".dvc/cairn.yaml": "sandbox:\n  policy: on\n",
      });
      git(["add", "-A"], repo);
      git(["commit", "-qm", "pipeline"], repo);
      const r = await cairnAsync(["repro"], repo);
      assert(r.code !== 0, r.stderr);
      assertMatch(r.stderr, /policy on, runner shell/);
      const off = await cairnAsync(["repro", "--sandbox=off"], repo);
      assertEquals(off.code, 0, off.stderr);
      assert(exists(`${repo}/notes.txt`), "unsandboxed, as DVC");
      // Stage meta beats the project default.
      writeFiles(repo, {
        "dvc.yaml": pipeline("cat mid.txt > out.txt; echo m > notes.txt", {
          meta: "{sandbox: {policy: off}}",
        }),
      });
      const meta = await cairnAsync(["repro"], repo);
      assertEquals(meta.code, 0, meta.stderr);
      assertEquals(Deno.readTextFileSync(`${repo}/notes.txt`), "m\n");
      // A bad policy word in the project file is a config error.
      writeFiles(repo, { ".dvc/cairn.yaml": "sandbox: {policy: strict}\n" });
      const bad = await cairnAsync(["repro", "-f"], repo);
      assertEquals(bad.code, 251, bad.stderr);
      assertMatch(bad.stderr, /cairn\.yaml/);
    } finally {
      removeDir(repo);
    }
  },
});

Deno.test({
  name: "sandbox: a malformed meta.sandbox fails before any stage runs",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const repo = makeRepo();
    try {
      writeFiles(repo, {
        "in.txt": INPUT,
        "dvc.yaml": pipeline("cat mid.txt > out.txt", { meta: "{sandbox: {writes: [/tmp]}}" }),
      });
      const r = await cairnAsync(["repro", "--sandbox"], repo);
      assert(r.code !== 0);
      assertMatch(r.stderr, /stage 'bad': meta\.sandbox: unknown key 'writes'/);
      assert(!exists(`${repo}/mid.txt`), "prep did not run either");
      assertEquals(lockStages(repo), []);
    } finally {
      removeDir(repo);
    }
  },
});

Deno.test({
  name:
    "sandbox: bwrap without user namespaces: --sandbox-backend=bwrap refuses before running anything",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const repo = makeRepo();
    const bin = Deno.makeTempDirSync({ prefix: "cairn-nobwrap-" });
    try {
      writeFiles(repo, { "in.txt": INPUT, "dvc.yaml": pipeline("cat mid.txt > out.txt") });
      // A bwrap that cannot create namespaces, first on PATH.
      Deno.writeTextFileSync(
        `${bin}/bwrap`,
        "#!/bin/sh\necho 'bwrap: No permissions' >&2\nexit 1\n",
      );
      Deno.chmodSync(`${bin}/bwrap`, 0o755);
      const env = { PATH: `${bin}:${Deno.env.get("PATH")}`, CAIRN_BWRAP: `${bin}/bwrap` };
      const r = await cairnAsync(["repro", "--sandbox=on", "--sandbox-backend=bwrap"], repo, env);
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stderr, /cannot sandbox stage/);
      assertMatch(r.stderr, /No permissions/);
      assert(!exists(`${repo}/mid.txt`), "nothing ran");
      assertEquals(lockStages(repo), []);
    } finally {
      removeDir(repo);
      removeDir(bin);
    }
  },
});

Deno.test({
  name: "repro --explain-inputs: read but not declared, declared but never read, the deps fix",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const repo = makeRepo();
    try {
      writeFiles(repo, {
        "in.txt": INPUT,
        "extra.txt": "extra\n",
        "unused.txt": "unused\n",
        "dvc.yaml": [
          "stages:",
          "  s:",
          "    cmd: cat in.txt extra.txt > out.txt",
          "    deps: [in.txt, unused.txt]",
          "    outs: [out.txt]",
          "",
        ].join("\n"),
      });
      for (
        const args of [["repro", "--explain-inputs"], [
          "repro",
          "-f",
          "--explain-inputs",
          "--sandbox=on",
        ]]
      ) {
        const r = await cairnAsync(args, repo);
        assertEquals(r.code, 0, r.stderr);
        assertMatch(r.stdout, /read but not declared:\n\s+- extra\.txt/);
        assertMatch(r.stdout, /declared but never read:\n\s+- unused\.txt/);
        assertMatch(r.stdout, /deps:\n\s+- in\.txt\n\s+- extra\.txt/);
      }
      const none = await cairnAsync(["repro", "--explain-inputs"], repo);
      assertMatch(none.stdout, /No stage ran/);
    } finally {
      removeDir(repo);
    }
  },
});

globalThis.addEventListener("unload", () => void server.close());

for (const [what, bwrapEnv] of [["no bwrap", "/nonexistent/bwrap"], ["no user namespaces", ""]]) {
  Deno.test({
    name: `sandbox: ${what}: auto takes Landlock and the stage is confined (project setting too)`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const repo = makeRepo();
      const bin = Deno.makeTempDirSync({ prefix: "cairn-nobwrap-" });
      try {
        // A bwrap that fails the way a blocked user namespace does.
        Deno.writeTextFileSync(
          `${bin}/bwrap`,
          '#!/bin/sh\n[ "$1" = --version ] && { echo "bubblewrap 0.8.0"; exit 0; }\n' +
            "echo 'bwrap: setting up uid map: Permission denied' >&2\nexit 1\n",
        );
        Deno.chmodSync(`${bin}/bwrap`, 0o755);
        const env = {
          PATH: `${bin}:${Deno.env.get("PATH")}`,
          CAIRN_BWRAP: bwrapEnv || `${bin}/bwrap`,
        };
        writeFiles(repo, {
          "in.txt": INPUT,
          "dvc.yaml": pipeline("cat mid.txt > out.txt; echo x > escaped.txt"),
        });
        const r = await cairnAsync(["repro", "--sandbox=on"], repo, env);
        assert(r.code !== 0, `${r.stdout}\n${r.stderr}`);
        assertMatch(r.stderr, /tried to write 'escaped\.txt', which is not a declared output/);
        assert(!exists(`${repo}/escaped.txt`), "the write was refused");
        assertEquals(lockStages(repo), ["prep"]);
        // Landlock forced by the project: the same.
        writeFiles(repo, {
          ".dvc/cairn.yaml": "sandbox:\n  backend: landlock\n",
          "dvc.yaml": pipeline("cat mid.txt > out.txt"),
        });
        const ok = await cairnAsync(["repro", "--sandbox=hermetic"], repo, env);
        assertEquals(ok.code, 0, `${ok.stdout}\n${ok.stderr}`);
        assertEquals(lockStages(repo), ["prep", "bad"]);
        // Forcing bwrap here refuses before running anything.
        writeFiles(repo, { ".dvc/cairn.yaml": "sandbox:\n  backend: bwrap\n" });
        const no = await cairnAsync(["repro", "--sandbox=on", "--force", "bad"], repo, env);
        assertEquals(no.code, 1, no.stderr);
        assertMatch(no.stderr, /cannot sandbox stage/);
      } finally {
        removeDir(repo);
        removeDir(bin);
      }
    },
  });
}

Deno.test({
  name: "doctor: each sandbox backend, whether it works here, and the chosen one's guarantees",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = Deno.makeTempDirSync({ prefix: "cairn-doctor-" });
    try {
      const here = await cairnAsync(["doctor"], dir);
      assertEquals(here.code, 0, here.stderr);
      assertMatch(here.stdout, /^ {2}bwrap: works \(/m);
      assertMatch(here.stdout, /^ {2}landlock: works \(kernel ABI \d+\)/m);
      assertMatch(here.stdout, /Sandbox backend \(auto\): bwrap; it guarantees:/);
      assertMatch(here.stdout, /private \/tmp +yes/);
      // Without a working bwrap, auto falls back to Landlock and says what it does not do.
      Deno.writeTextFileSync(
        `${dir}/bwrap`,
        "#!/bin/sh\necho 'bwrap: No permissions' >&2\nexit 1\n",
      );
      Deno.chmodSync(`${dir}/bwrap`, 0o755);
      const no = await cairnAsync(["doctor"], dir, { CAIRN_BWRAP: `${dir}/bwrap` });
      assertEquals(no.code, 0, no.stderr);
      assertMatch(
        no.stdout,
        /^ {2}bwrap: does not work \([^)]*\): bwrap cannot create namespaces here/m,
      );
      assertMatch(no.stdout, /Sandbox backend \(auto\): landlock; it guarantees:/);
      assertMatch(
        no.stdout,
        /host-list network grants \(filtering proxy\) +partly \(.*any host listening on that same port number is reachable too.*UDP is refused by seccomp/,
      );
      assertMatch(no.stdout, /private \/tmp +partly/);
    } finally {
      removeDir(dir);
    }
  },
});
