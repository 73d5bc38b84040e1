/**
 * runSandboxed against real bubblewrap, a real loopback HTTP server and
 * real strace: each forbidden action is stopped and reported with the
 * grant that would allow it; the granted variant succeeds.
 */
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotMatch,
  assertNotStrictEquals,
  assertRejects,
  assertStrictEquals,
} from "../../_rig/assert.ts";
import { runSandboxed, type RunSandboxedOptions } from "../../../lib/sandbox/run_sandboxed.ts";
import type { EnforcedPolicy } from "../../../lib/sandbox/bwrap.ts";
import { parseSandboxMeta } from "../../../lib/sandbox/grants.ts";
import { SandboxGrantError } from "../../../lib/sandbox/errors.ts";
import { InterruptedError } from "../../../lib/errors.ts";
import type { Violation } from "../../../lib/sandbox/violations.ts";
import { hostEnv, makeProject, type Project, snapshot, startServer } from "./_fixture.ts";

const dec = new TextDecoder();

async function run(
  p: Project,
  policy: EnforcedPolicy | "off",
  cmd: string,
  extra: Partial<RunSandboxedOptions> & { meta?: unknown } = {},
) {
  let out = "";
  const { meta, ...rest } = extra;
  const r = await runSandboxed(cmd, {
    cwd: p.root,
    env: hostEnv(),
    policy,
    grants: parseSandboxMeta(meta ?? {}, { stage: "s" }),
    deps: ["data/raw.csv"],
    outs: ["data/features.csv"],
    repoRoot: p.root,
    cacheDir: p.cacheDir,
    shell: "/bin/sh",
    stage: "s",
    onStdout: (c) => (out += dec.decode(c)),
    ...rest,
  });
  return { ...r, out };
}

function only(vs: Violation[], kind: Violation["kind"]): Violation {
  const m = vs.filter((v) => v.kind === kind);
  assertStrictEquals(
    m.length >= 1,
    true,
    `expected a ${kind} violation, got ${JSON.stringify(vs)}`,
  );
  return m[0];
}

/** Runs one scenario per policy in a fresh project, and checks the workspace is as before. */
function scenario(
  name: string,
  fn: (p: Project, policy: EnforcedPolicy) => Promise<void>,
  opts: { policies?: EnforcedPolicy[]; base?: string; keep?: string[] } = {},
) {
  for (const policy of opts.policies ?? ["on", "hermetic"] as EnforcedPolicy[]) {
    Deno.test(`sandbox ${policy}: ${name}`, async () => {
      const p = await makeProject(opts.base);
      try {
        await fn(p, policy);
      } finally {
        await p.cleanup();
      }
    });
  }
}

function existsPath(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The workspace (outside declared outs) and the cache are unchanged by `fn`. */
async function unchanged(p: Project, fn: () => Promise<void>, outs = ["data/features.csv"]) {
  const before = snapshot(p.root, outs);
  const outsideBefore = snapshot(p.outside);
  await fn();
  assertEquals(snapshot(p.root, outs), before);
  assertEquals(snapshot(p.outside), outsideBefore);
}

scenario("declared outputs are written, deps read", async (p, policy) => {
  await unchanged(p, async () => {
    const r = await run(p, policy, "cat data/raw.csv > data/features.csv; echo done");
    assertEquals(r.violations, []);
    assertStrictEquals(r.exitCode, 0);
    assertStrictEquals(r.ok, true);
    assertStrictEquals(r.out, "done\n");
  });
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "a,b\n1,2\n");
});

scenario(
  "output in a folder that does not exist yet (atomic write via rename)",
  async (p, policy) => {
    const r = await run(
      p,
      policy,
      "mkdir -p results/deep 2>/dev/null; cat data/raw.csv > results/deep/.tmp && mv results/deep/.tmp results/deep/model.pkl",
      { outs: ["results/deep/model.pkl"] },
    );
    assertStrictEquals(r.exitCode, 0, r.stderrTail);
    // The temp file beside the output is an undeclared write: reported and removed.
    assertEquals(r.violations.map((v) => v.kind), []);
    assertStrictEquals(Deno.readTextFileSync(`${p.root}/results/deep/model.pkl`), "a,b\n1,2\n");
  },
);

scenario("write outside outs is stopped and names the path", async (p, policy) => {
  await unchanged(p, async () => {
    const r = await run(p, policy, "echo x > notes.txt");
    assertNotStrictEquals(r.exitCode, 0);
    assertStrictEquals(r.ok, false);
    const v = only(r.violations, "write");
    assertStrictEquals(v.subject, `${p.root}/notes.txt`);
    assertMatch(v.message, /notes\.txt.*not a declared output/);
    assertStrictEquals(v.fix, "outs:\n  - notes.txt");
  });
});

scenario("overwriting an undeclared sibling of an output is stopped", async (p, policy) => {
  await unchanged(p, async () => {
    const r = await run(p, policy, "echo x > data/other.csv; echo y > data/features.csv");
    assertStrictEquals(r.ok, false);
    const v = only(r.violations, "write");
    assertStrictEquals(v.subject, `${p.root}/data/other.csv`);
    assertStrictEquals(v.fix, "outs:\n  - data/other.csv");
    assertStrictEquals(v.fatal, true);
  });
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/other.csv`), "undeclared\n");
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "y\n");
});

scenario("new undeclared file beside an output is reported and removed", async (p, policy) => {
  await unchanged(p, async () => {
    const r = await run(p, policy, "echo y > data/features.csv; echo z > data/extra.log");
    assertStrictEquals(r.ok, false);
    const v = only(r.violations, "write");
    assertStrictEquals(v.subject, `${p.root}/data/extra.log`);
    assertStrictEquals(v.fatal, true);
  });
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "y\n");
});

scenario("write outside the project is stopped; a write grant allows it", async (p, policy) => {
  await unchanged(p, async () => {
    const r = await run(p, policy, `echo x > ${p.outside}/out.txt`);
    assertNotStrictEquals(r.exitCode, 0);
    const v = only(r.violations, "write");
    assertStrictEquals(v.subject, `${p.outside}/out.txt`);
    assertStrictEquals(v.fix, `meta: {sandbox: {write: [${p.outside}]}}`);
  });
  const ok = await run(p, policy, `echo x > ${p.outside}/out.txt`, {
    meta: { sandbox: { write: [p.outside] } },
  });
  assertStrictEquals(ok.ok, true, JSON.stringify(ok.violations));
  assertStrictEquals(Deno.readTextFileSync(`${p.outside}/out.txt`), "x\n");
});

scenario(
  "undeclared read is hidden in hermetic mode and names the deps: line",
  async (p, policy) => {
    const r = await run(p, policy, "cat data/other.csv src/helper.py > data/features.csv");
    if (policy === "on") {
      assertStrictEquals(r.ok, true, JSON.stringify(r.violations));
      return;
    }
    assertNotStrictEquals(r.exitCode, 0);
    const reads = r.violations.filter((v) => v.kind === "read").map((v) => v.fix);
    assertEquals(reads.sort(), ["deps:\n  - data/other.csv", "deps:\n  - src/helper.py"]);
    const ok = await run(p, policy, "cat data/other.csv src/helper.py > data/features.csv", {
      deps: ["data/raw.csv", "data/other.csv", "src"],
    });
    assertStrictEquals(ok.ok, true, JSON.stringify(ok.violations));
    assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "undeclared\nX = 1\n");
  },
);

scenario("a silent existence check of an undeclared file is reported (hermetic)", async (p) => {
  // `[ -f ]` fails quietly: only the trace can tell the stage looked for it.
  const r = await run(
    p,
    "hermetic",
    "if [ -f params.yaml ]; then echo y; else echo n; fi > data/features.csv",
  );
  assertStrictEquals(r.exitCode, 0);
  assertStrictEquals(r.ok, false);
  assertStrictEquals(only(r.violations, "read").fix, "deps:\n  - params.yaml");
}, { policies: ["hermetic"] });

scenario("undeclared read without strace: found from the error message", async (p) => {
  const r = await run(p, "hermetic", "cat data/other.csv", { trace: false });
  assertStrictEquals(r.traced, false);
  assertStrictEquals(only(r.violations, "read").fix, "deps:\n  - data/other.csv");
}, { policies: ["hermetic"] });

scenario(
  "connecting to a loopback HTTP server is denied; net grants allow it",
  async (p, policy) => {
    const srv = startServer();
    try {
      const url = `http://127.0.0.1:${srv.port}/`;
      const denied = await run(p, policy, `curl -sS --max-time 5 ${url}`);
      assertNotStrictEquals(denied.exitCode, 0);
      const v = only(denied.violations, "net");
      assertStrictEquals(v.subject, `127.0.0.1:${srv.port}`);
      assertStrictEquals(v.fix, `meta: {sandbox: {net: ["127.0.0.1:${srv.port}"]}}`);
      assertStrictEquals(srv.hits, 0);

      // Host list: through cairn's proxy, only the granted host.
      const granted = await run(p, policy, `curl -sS --max-time 5 ${url}`, {
        meta: { sandbox: { net: [`127.0.0.1:${srv.port}`] } },
      });
      assertStrictEquals(granted.ok, true, JSON.stringify(granted.violations) + granted.stderrTail);
      assertStrictEquals(granted.out, "hello from host\n");
      assertStrictEquals(srv.hits, 1);

      const other = await run(p, policy, `curl -sS --max-time 5 ${url}`, {
        meta: { sandbox: { net: ["example.org:443"] } },
      });
      assertStrictEquals(other.ok, false);
      assertStrictEquals(only(other.violations, "net").source, "proxy");
      assertStrictEquals(srv.hits, 1);

      // A program that ignores the proxy settings still cannot get out.
      const bypass = await run(p, policy, `curl -sS --max-time 5 --noproxy '*' ${url}`, {
        meta: { sandbox: { net: [`127.0.0.1:${srv.port}`] } },
      });
      assertNotStrictEquals(bypass.exitCode, 0);
      assertStrictEquals(only(bypass.violations, "net").subject, `127.0.0.1:${srv.port}`);
      assertStrictEquals(srv.hits, 1);

      const open = await run(p, policy, `curl -sS --max-time 5 --noproxy '*' ${url}`, {
        meta: { sandbox: { net: true } },
      });
      assertStrictEquals(open.ok, true, JSON.stringify(open.violations));
      assertStrictEquals(srv.hits, 2);
    } finally {
      await srv.close();
    }
  },
);

scenario("a secret environment variable is withheld; an env grant passes it", async (p, policy) => {
  const env = hostEnv({ SECRET_TOKEN: "s3cr3t" });
  const r = await run(
    p,
    policy,
    'echo "token=$SECRET_TOKEN" > data/features.csv; env >> data/features.csv',
    { env },
  );
  assertStrictEquals(r.exitCode, 0);
  assertStrictEquals(r.ok, false);
  const v = only(r.violations, "env");
  assertStrictEquals(v.subject, "SECRET_TOKEN");
  assertStrictEquals(v.fix, "meta: {sandbox: {env: [SECRET_TOKEN]}}");
  assertNotMatch(Deno.readTextFileSync(`${p.root}/data/features.csv`), /s3cr3t/);

  // Read from a program (not the command text): named by its error message.
  const py = await run(p, policy, `python3 -c 'import os; print(os.environ["SECRET_TOKEN"])'`, {
    env,
  });
  assertNotStrictEquals(py.exitCode, 0);
  assertStrictEquals(only(py.violations, "env").subject, "SECRET_TOKEN");

  const ok = await run(p, policy, 'echo "token=$SECRET_TOKEN" > data/features.csv', {
    env,
    meta: { sandbox: { env: ["SECRET_TOKEN"] } },
  });
  assertStrictEquals(ok.ok, true, JSON.stringify(ok.violations));
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "token=s3cr3t\n");
});

scenario("writing through a symlink that points outside is stopped", async (p, policy) => {
  Deno.symlinkSync(p.outside, `${p.root}/escape`);
  await unchanged(p, async () => {
    const r = await run(p, policy, "echo pwned > escape/pwned.txt");
    assertNotStrictEquals(r.exitCode, 0);
    const v = only(r.violations, "write");
    if (policy === "on") {
      assertStrictEquals(v.subject, `${p.outside}/pwned.txt`);
      assertMatch(v.message, /through a symlink/);
      assertStrictEquals(v.fix, `meta: {sandbox: {write: [${p.outside}]}}`);
    }
  });
  assertStrictEquals(Deno.statSync(`${p.root}/escape`).isDirectory, true);
  // A granted folder holding a symlink to elsewhere: the link does not widen the grant.
  const granted = `${p.outside}/granted`;
  const elsewhere = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "cairn-sbx-else-" });
  try {
    Deno.mkdirSync(granted);
    Deno.symlinkSync(elsewhere, `${granted}/link`);
    const r = await run(
      p,
      policy,
      `echo x > ${granted}/ok.txt; echo pwned > ${granted}/link/pwned.txt`,
      {
        meta: { sandbox: { write: [granted] } },
      },
    );
    assertNotStrictEquals(r.exitCode, 0);
    assertStrictEquals(Deno.readTextFileSync(`${granted}/ok.txt`), "x\n");
    assertEquals([...Deno.readDirSync(elsewhere)], []);
    assertStrictEquals(only(r.violations, "write").subject, `${elsewhere}/pwned.txt`);
  } finally {
    await Deno.remove(elsewhere, { recursive: true });
  }
  // Granting the project symlink grants its real target.
  const ok = await run(p, policy, "echo fine > escape/fine.txt", {
    meta: { sandbox: { write: ["escape"] } },
  });
  assertStrictEquals(ok.ok, true, JSON.stringify(ok.violations) + ok.stderrTail);
  assertStrictEquals(Deno.readTextFileSync(`${p.outside}/fine.txt`), "fine\n");
});

scenario("the DVC cache, .git and .dvc are never writable", async (p, policy) => {
  const obj = ".dvc/cache/files/md5/ab/cdef0123";
  await unchanged(p, async () => {
    for (
      const cmd of [
        "echo x > .dvc/cache/files/md5/ab/new",
        `chmod u+w ${obj} && echo evil > ${obj}`,
        "echo x > .git/HEAD",
        "echo x > .dvc/config",
      ]
    ) {
      const r = await run(p, policy, cmd, { outs: ["model.pkl"] });
      assertNotStrictEquals(r.exitCode, 0, cmd);
      // hermetic: `chmod` stats the (hidden) file first, a read.
      const v = r.violations.find((v) => /DVC cache|git directory|\.dvc directory/.test(v.message));
      assert(v, `${cmd}: ${JSON.stringify(r.violations)}`);
      assertStrictEquals(v.fix, undefined);
      assertStrictEquals(v.fatal, true);
    }
  });
  // Declaring an output inside the cache is refused before running anything.
  await assertRejects(
    () => run(p, policy, "true", { outs: [".dvc/cache/files/md5/ab/x"] }),
    SandboxGrantError,
  );
});

scenario("a background process left behind is killed and reported", async (p, policy) => {
  const w = `${p.outside}/w`;
  Deno.mkdirSync(w);
  const r = await run(
    p,
    policy,
    `(sleep 1; echo late > ${w}/late.txt) & echo y > data/features.csv`,
    { meta: { sandbox: { write: [w] } } },
  );
  // Returned before the background job's write: it did not wait for it.
  assertEquals([...Deno.readDirSync(w)], [], "must not wait for the background job");
  assertStrictEquals(r.exitCode, 0);
  assertStrictEquals(r.ok, false);
  assertMatch(only(r.violations, "process").message, /background process/);
  await new Promise((res) => setTimeout(res, 1500));
  assertEquals([...Deno.readDirSync(w)], [], "the background job must be dead");
  // Waiting for it is fine.
  const ok = await run(p, policy, `(sleep 0.2; echo late > ${w}/late.txt) & wait`, {
    meta: { sandbox: { write: [w] } },
  });
  assertStrictEquals(ok.ok, true, JSON.stringify(ok.violations));
  assertStrictEquals(Deno.readTextFileSync(`${w}/late.txt`), "late\n");
});

scenario("private /tmp: usable, and the host's /tmp is not visible", async (p, policy) => {
  const hostTmp = await Deno.makeTempDir({ prefix: "cairn-sbx-hosttmp-" });
  try {
    Deno.writeTextFileSync(`${hostTmp}/secret`, "host\n");
    const r = await run(
      p,
      policy,
      `echo a > /tmp/scratch && cat /tmp/scratch > data/features.csv && cat ${hostTmp}/secret`,
    );
    assertNotStrictEquals(r.exitCode, 0);
    assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "a\n");
    const v = only(r.violations, "read");
    assertStrictEquals(v.subject, `${hostTmp}/secret`);
    assertMatch(v.message, /private \/tmp/);
  } finally {
    await Deno.remove(hostTmp, { recursive: true });
  }
});

scenario("project outside /tmp works the same", async (p, policy) => {
  const r = await run(p, policy, "cat data/raw.csv > data/features.csv; echo x > notes.txt");
  assertStrictEquals(only(r.violations, "write").subject, `${p.root}/notes.txt`);
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "a,b\n1,2\n");
}, { base: "/var/tmp" });

scenario("stage in a subfolder (wdir) with relative deps and outs", async (p, policy) => {
  Deno.mkdirSync(`${p.root}/sub`);
  Deno.writeTextFileSync(`${p.root}/sub/in.txt`, "in\n");
  const r = await run(p, policy, "cat in.txt ../data/raw.csv > out.txt; pwd", {
    cwd: `${p.root}/sub`,
    deps: ["in.txt", "../data/raw.csv"],
    outs: ["out.txt"],
  });
  assertStrictEquals(r.ok, true, JSON.stringify(r.violations) + r.stderrTail);
  assertStrictEquals(r.out, `${p.root}/sub\n`);
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/sub/out.txt`), "in\na,b\n1,2\n");
});

scenario("persisted output is visible and updated in place", async (p, policy) => {
  Deno.writeTextFileSync(`${p.root}/data/features.csv`, "old\n");
  const r = await run(p, policy, "echo new >> data/features.csv", {
    outs: [{ path: "data/features.csv", persist: true }],
  });
  assertStrictEquals(r.ok, true, JSON.stringify(r.violations) + r.stderrTail);
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "old\nnew\n");
});

scenario("policy off runs like DVC (no confinement)", async (p) => {
  const r = await run(p, "off", "echo x > notes.txt");
  assertStrictEquals(r.ok, true);
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/notes.txt`), "x\n");
}, { policies: ["on"] });

Deno.test("sandbox: two sandboxed stages run in parallel independently", async () => {
  const [a, b] = await Promise.all([makeProject(), makeProject()]);
  try {
    const [ra, rb] = await Promise.all([
      run(a, "hermetic", "echo A > data/features.csv; echo x > a.txt"),
      run(b, "on", "echo B > data/features.csv"),
    ]);
    assertStrictEquals(only(ra.violations, "write").subject, `${a.root}/a.txt`);
    assertStrictEquals(rb.ok, true);
    assertStrictEquals(Deno.readTextFileSync(`${a.root}/data/features.csv`), "A\n");
    assertStrictEquals(Deno.readTextFileSync(`${b.root}/data/features.csv`), "B\n");
  } finally {
    await a.cleanup();
    await b.cleanup();
  }
});

scenario("output folder with many existing files (read-only view + links)", async (p, policy) => {
  Deno.mkdirSync(`${p.root}/crowd`);
  for (let i = 0; i < 100; i++) Deno.writeTextFileSync(`${p.root}/crowd/f${i}`, `${i}\n`);
  await unchanged(p, async () => {
    const r = await run(
      p,
      policy,
      "ls crowd | grep -c ^f > crowd/out.txt; cat crowd/f7 >> crowd/out.txt; echo x > crowd/f1; echo y > crowd/new.txt; rm -f crowd/f2",
      { outs: ["crowd/out.txt"], deps: ["crowd"] },
    );
    assertStrictEquals(r.ok, false);
    const subjects = r.violations.filter((v) => v.kind === "write").map((v) => v.subject).sort();
    assertEquals(subjects, [
      `${p.root}/crowd/f1`,
      `${p.root}/crowd/f2`,
      `${p.root}/crowd/new.txt`,
    ]);
  }, ["crowd/out.txt"]);
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/crowd/out.txt`), "100\n7\n");
});

scenario("abort signal stops the sandbox at once and restores the workspace", async (p, policy) => {
  Deno.writeTextFileSync(`${p.root}/data/features.csv`, "old\n");
  // Abort once the command has written its partial output (it says so on stdout).
  const ac = new AbortController();
  const marker = `${p.outside}/finished`;
  const cmd = `echo partial > data/features.csv; echo started; sleep 30; echo > ${marker}`;
  await unchanged(p, async () => {
    await assertRejects(
      () =>
        run(p, policy, cmd, {
          outs: [{ path: "data/features.csv", persist: true }],
          meta: { sandbox: { write: [p.outside] } },
          signal: ac.signal,
          onStdout: (c) => {
            if (dec.decode(c).includes("started")) ac.abort();
          },
        }),
      InterruptedError,
    );
  });
  // Stopped before the command's end, not after it.
  assert(!existsPath(marker), "the command ran to its end");
  // An interrupted stage's output is whatever it wrote (as with DVC), but it is back in place.
  assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "partial\n");
});

scenario("host Unix sockets under /run (docker.sock, dbus) are out of reach", async (p, policy) => {
  // A read-only mount does not stop connect() on a socket: /run must be private.
  let dir: string;
  try {
    dir = await Deno.makeTempDir({ dir: "/run", prefix: "cairn-sbx-sock-" });
  } catch {
    // not root: the user's runtime dir is under /run too
    dir = await Deno.makeTempDir({
      dir: Deno.env.get("XDG_RUNTIME_DIR"),
      prefix: "cairn-sbx-sock-",
    });
  }
  const sock = `${dir}/s.sock`;
  const l = Deno.listen({ transport: "unix", path: sock });
  let hits = 0;
  const serving = (async () => {
    for await (const c of l) {
      hits++;
      await c.write(new TextEncoder().encode("HTTP/1.0 200 OK\r\n\r\nreached\n")).catch(() => {});
      c.close();
    }
  })();
  try {
    for (const net of [false, true]) {
      const r = await run(p, policy, `curl -sS --max-time 5 --unix-socket ${sock} http://x/`, {
        meta: { sandbox: { net } },
      });
      assertNotStrictEquals(r.exitCode, 0);
      assertStrictEquals(r.out, "");
    }
    assertStrictEquals(hits, 0);
  } finally {
    l.close();
    await serving;
    await Deno.remove(dir, { recursive: true });
  }
});

scenario(
  "a persisted output hard-linked into the cache cannot rewrite the cache",
  async (p, policy) => {
    const obj = `${p.cacheDir}/files/md5/ab/cdef0123`;
    Deno.linkSync(obj, `${p.root}/data/features.csv`);
    const r = await run(
      p,
      policy,
      "chmod u+w data/features.csv; echo changed > data/features.csv",
      {
        outs: [{ path: "data/features.csv", persist: true }],
      },
    );
    assertStrictEquals(r.ok, true, JSON.stringify(r.violations) + r.stderrTail);
    assertStrictEquals(Deno.readTextFileSync(obj), "cached\n");
    assertStrictEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "changed\n");
  },
);
