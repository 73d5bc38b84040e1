/**
 * The Landlock backend on its own (real kernel): the stage's status and
 * signal dispositions come through the launcher's exec into its wrapper,
 * leftovers that left the
 * process group are still found (child subreaper), an interrupt ends the
 * whole stage, other processes' environment is unreadable, UDP and Unix
 * sockets are refused.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../../_rig/assert.ts";
import { runSandboxed } from "../../../lib/sandbox/run_sandboxed.ts";
import {
  keepLandlockLauncherReady,
  launcherCommand,
  prestartLandlockLauncher,
  runConfined,
} from "../../../lib/sandbox/landlock.ts";
import { InterruptedError } from "../../../lib/errors.ts";
import { hostEnv, makeProject } from "./_fixture.ts";

function pgrep(pattern: string): string {
  const r = new Deno.Command("pgrep", { args: ["-f", pattern], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(r.stdout).trim();
}

async function run(cmd: string, signal?: AbortSignal) {
  const p = await makeProject();
  try {
    const r = await runSandboxed(cmd, {
      cwd: p.root,
      env: { ...hostEnv(), CAIRN_TEST_TOKEN: "t0ken-not-granted" },
      policy: "on",
      deps: [],
      outs: ["data/out.txt"],
      repoRoot: p.root,
      cacheDir: p.cacheDir,
      backend: "landlock",
      signal,
    });
    let out = "";
    try {
      out = Deno.readTextFileSync(`${p.root}/data/out.txt`);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return { ...r, out };
  } finally {
    await p.cleanup();
  }
}

Deno.test("landlock: the stage's status and signals are a plain shell's (the launcher execs a wrapper)", async () => {
  // `yes` must end on SIGPIPE: the Rust runtime ignores it, and an ignored
  // signal would survive the exec (yes would report a write error). An
  // interrupt must end a child shell (the wrapper traps it, the stage does not).
  const r = await run(
    "{ yes | head -n 1; sh -c 'kill -INT $$; echo survived'; } > data/out.txt 2>&1; exit 3",
  );
  assertEquals(r.exitCode, 3);
  assertEquals(r.out, "y\n");
  assertEquals(r.backend, "landlock");
});

Deno.test("landlock: the stage inherits no descriptor of the launcher's or its wrapper's", async () => {
  // The wrapper reads its children list from fd 9 after the stage (opened
  // before confinement); the stage must not get it, nor any other.
  const r = await run(
    "for fd in 3 4 5 6 7 8 9; do (: <&$fd) 2>/dev/null && echo $fd; done > data/out.txt; exit 0",
  );
  assertEquals([r.exitCode, r.violations, r.out], [0, [], ""], r.stderrTail);
});

Deno.test("landlock: a background process that left the group (setsid) is still killed and reported", async () => {
  const r = await run("echo ok > data/out.txt; setsid sleep 31341 & sleep 0.2");
  assertEquals(r.backend, "landlock");
  assertMatch(r.violations.map((v) => v.message).join("\n"), /background process.*sleep/);
  assertEquals(pgrep("sleep 31341"), "", "the daemonized process was killed");
});

Deno.test("landlock: an interrupt stops the stage and everything it started", async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 1500);
  await assertRejects(() => run("sleep 31342 & sleep 31343", ac.signal), InterruptedError);
  for (let i = 0; i < 100 && pgrep("sleep 3134[23]"); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assertEquals(pgrep("sleep 3134[23]"), "");
});

Deno.test("landlock: cairn's environment, UDP and Unix sockets are out of reach", async () => {
  {
    const r = await run(
      "cat /proc/$PPID/environ /proc/1/environ 2>&1 | tr '\\0' '\\n' > data/out.txt; " +
        `python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)' 2>> data/out.txt; ` +
        `python3 -c 'import socket; socket.socket(socket.AF_UNIX)' 2>> data/out.txt; exit 0`,
    );
    assertEquals(r.exitCode, 0);
    // Readable, either environment would show its PATH= entry.
    assert(!r.out.includes("PATH="), r.out);
    assertMatch(r.out, /\/proc\/\d+\/environ: Permission denied/);
    // Both socket kinds refused (EACCES from the seccomp filter).
    assertEquals(r.out.match(/PermissionError: \[Errno 13\] Permission denied/g)?.length, 2, r.out);
  }
});

Deno.test("landlock: Python multiprocessing (semaphores, shared memory in /dev/shm) works", async () => {
  const r = await run(
    `python3 -c "import multiprocessing as m
from multiprocessing import shared_memory
if __name__ == '__main__':
    print(m.Pool(2).map(abs, [-1, -2]))
    s = shared_memory.SharedMemory(create=True, size=10); s.close(); s.unlink(); print('shm ok')
" > data/out.txt`,
  );
  assertEquals([r.exitCode, r.violations], [0, []], r.stderrTail);
  assertEquals(r.out, "[1, 2]\nshm ok\n");
});

Deno.test("landlock: outputs in a folder with other files: written in place, a folder when declared so; renames and misdeclared folders explained", async () => {
  const p = await makeProject();
  const opts = (outs: string[]) => ({
    cwd: p.root,
    env: hostEnv(),
    policy: "on" as const,
    deps: [],
    outs,
    repoRoot: p.root,
    cacheDir: p.cacheDir,
    backend: "landlock" as const,
  });
  try {
    // data/ holds raw.csv and other.csv: only the outputs there are writable.
    const ok = await runSandboxed(
      "echo r > data/report.txt; mkdir -p data/model && echo w > data/model/w.bin",
      opts(["data/report.txt", "data/model/"]),
    );
    assertEquals([ok.exitCode, ok.violations], [0, []], ok.stderrTail);
    assertEquals(Deno.readTextFileSync(`${p.root}/data/model/w.bin`), "w\n");
    assertEquals(Deno.readTextFileSync(`${p.root}/data/report.txt`), "r\n");

    // The same folder output declared without the slash: prepared as a file.
    const dir = await runSandboxed("mkdir -p data/m2 && echo w > data/m2/w.bin", opts(["data/m2"]));
    assert(!dir.ok);
    const dv = dir.violations.find((v) => v.subject === `${p.root}/data/m2`);
    assertMatch(dv?.message ?? "", /prepared as an empty file.*trailing slash/);
    assertEquals(dv?.fix, "outs:\n  - data/m2/");
    assert(!exists(`${p.root}/data/m2`), "the untouched placeholder is removed again");

    // A temp file renamed over the output: refused, and the reason named.
    const mv = await runSandboxed(
      "echo x > data/o.tmp && mv data/o.tmp data/out.csv",
      opts(["data/out.csv"]),
    );
    assert(!mv.ok);
    const tv = mv.violations.find((v) => v.subject === `${p.root}/data/o.tmp`);
    assertMatch(tv?.message ?? "", /cannot create, rename or remove anything in 'data'/);
    assert(!exists(`${p.root}/data/o.tmp`) && !exists(`${p.root}/data/out.csv`));
    // Nothing else in the folder changed.
    assertEquals(Deno.readTextFileSync(`${p.root}/data/other.csv`), "undeclared\n");
  } finally {
    await p.cleanup();
  }
});

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

Deno.test("landlock: the compiled binary's launcher mode (cairn __landlock-launch) confines the stage", async () => {
  // A `deno compile`d cairn runs itself as the launcher; here `deno run cli.ts`
  // stands in for that binary (same entry point, same argv after it).
  assertEquals(launcherCommand("/opt/lab/bin/cairn"), ["/opt/lab/bin/cairn", "__landlock-launch"]);
  assertEquals(launcherCommand("/usr/bin/deno")[1], "run");
  const cli = new URL("../../../cli.ts", import.meta.url).pathname;
  const p = await makeProject();
  const ctl = await Deno.makeTempDir({ prefix: "cairn-ll-test-" });
  const out: string[] = [];
  try {
    Deno.writeTextFileSync(`${p.root}/data/out.txt`, "");
    const run = await runConfined(
      ["/bin/sh", "-c", "echo ok > data/out.txt; echo $CAIRN_X; echo no > data/raw.csv"],
      {
        rules: [{ path: "/", access: "ro" }, { path: `${p.root}/data/out.txt`, access: "rw" }],
        net: "none",
        abi: 99,
        cwd: p.root,
        env: { PATH: "/usr/bin:/bin", CAIRN_X: "from-spec" },
        ctl,
        launcher: [Deno.execPath(), "run", "-A", "--no-check", cli, "__landlock-launch"],
        onStdout: (c) => out.push(new TextDecoder().decode(c)),
      },
    );
    assert(run.exitCode !== 0, "writing the undeclared file fails");
    assertEquals(Deno.readTextFileSync(`${p.root}/data/out.txt`), "ok\n");
    assertEquals(Deno.readTextFileSync(`${p.root}/data/raw.csv`), "a,b\n1,2\n");
    assertMatch(run.stderr, /raw\.csv: Permission denied/);
    assertEquals(out.join(""), "from-spec\n");
  } finally {
    await Deno.remove(ctl, { recursive: true });
    await p.cleanup();
  }
});

Deno.test({
  name:
    "landlock: a launcher started ahead of time runs the next stage, confined, with its own environment",
  sanitizeOps: false, // the launcher kept ready for a next stage outlives the test
  sanitizeResources: false,
  fn: async () => {
    keepLandlockLauncherReady(true);
    prestartLandlockLauncher();
    try {
      for (const token of ["first", "second"]) {
        await new Promise((r) => setTimeout(r, 300)); // as between stages
        const r = await run(
          `echo ${token} $CAIRN_TEST_TOKEN > data/out.txt; echo x > data/raw.csv`,
        );
        assertEquals(r.backend, "landlock");
        assert(!r.ok);
        assertEquals(r.out, `${token}\n`, "the spec's environment: the token was not granted");
        assertMatch(
          r.violations.map((v) => v.message).join("\n"),
          /tried to write 'data\/raw\.csv'/,
        );
      }
    } finally {
      keepLandlockLauncherReady(false);
    }
  },
});
