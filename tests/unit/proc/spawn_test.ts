/** lib/proc/spawn.ts: the one way cairn starts commands (real processes). */
import { assert, assertEquals, assertStrictEquals } from "../../_rig/assert.ts";
import { runToolSync, spawnProcess } from "../../../lib/proc/spawn.ts";
import { shellCommand } from "../../../lib/proc/shell.ts";

const dec = new TextDecoder();

function alive(pid: number): boolean {
  try {
    const st = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/\) Z /.test(st);
  } catch {
    return false;
  }
}

Deno.test("spawn: output pumped with a prefix per line, stderr tail kept, exit code", async () => {
  const out: string[] = [];
  const r = await spawnProcess(["/bin/sh", "-c", "printf 'a\\nb'; echo oops >&2; exit 3"], {
    onStdout: (c) => out.push(dec.decode(c)),
    onStderr: () => {},
    prefix: "[s] ",
  });
  assertEquals(r.code, 3);
  assertEquals(out.join(""), "[s] a\n[s] b");
  assertEquals(r.stderrTail, "oops\n");
});

Deno.test("spawn: an abort stops the whole process group, background jobs included", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const ac = new AbortController();
    const p = spawnProcess([
      "/bin/sh",
      "-c",
      `trap '' INT; sleep 300 & echo $! > ${dir}/bg; sleep 300`,
    ], { onStdout: () => {}, onStderr: () => {}, signal: ac.signal, killGraceMs: 100 });
    let bg = 0;
    for (let i = 0; i < 200 && !bg; i++) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        bg = Number(Deno.readTextFileSync(`${dir}/bg`).trim());
      } catch { /* not yet */ }
    }
    assert(bg > 0 && alive(bg), "background job started");
    ac.abort();
    const r = await p;
    assertStrictEquals(r.aborted, true);
    for (let i = 0; i < 100 && alive(bg); i++) await new Promise((r) => setTimeout(r, 20));
    assert(!alive(bg), "the background job was killed with its group");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("spawn: bash runs without rc files, as DVC does", () => {
  assertEquals(shellCommand("x", { SHELL: "/bin/bash" }), [
    "/bin/bash",
    "--noprofile",
    "--norc",
    "-c",
    "x",
  ]);
  assertEquals(shellCommand("x", {}), ["/bin/sh", "-c", "x"]);
});

Deno.test("spawn: runToolSync captures output of a short tool", () => {
  const r = runToolSync("/bin/sh", ["-c", "echo hi; echo err >&2; exit 2"]);
  assertEquals([r.code, dec.decode(r.stdout), dec.decode(r.stderr)], [2, "hi\n", "err\n"]);
});

/** pid, process group and session of the shell that prints them. */
async function ids(argv0: string, opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const out: string[] = [];
  const r = await spawnProcess([argv0, "-c", 'read -r l < /proc/$$/stat; echo "$l"'], {
    ...opts,
    onStdout: (c) => out.push(dec.decode(c)),
    onStderr: () => {},
  });
  assertEquals(r.code, 0);
  // fields after the command name: state ppid pgrp session ...
  const line = out.join("");
  const rest = line.slice(line.lastIndexOf(")") + 2).split(" ");
  return {
    reported: r.pid,
    pid: Number(line.split(" ")[0]),
    pgrp: Number(rest[2]),
    sid: Number(rest[3]),
  };
}

Deno.test("spawn: the child leads its own session and group, found by name in the child's PATH or by path", async () => {
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  const cases = [
    await ids("sh", { env: { PATH: path } }), // by name (setsid(1) where available)
    await ids("/bin/sh"), // by absolute path, no PATH at all
    await ids("sh"), // no PATH in the child's env: looked up in cairn's, as Deno does
  ];
  const dir = Deno.makeTempDirSync();
  try {
    Deno.symlinkSync("/bin/sh", `${dir}/mysh`);
    cases.push(await ids("./mysh", { cwd: dir })); // relative to the child's cwd
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
  for (const c of cases) {
    assertEquals([c.pid, c.pgrp, c.sid], [c.reported, c.reported, c.reported], JSON.stringify(c));
  }
  assert(cases[0].sid !== Deno.pid);
});

Deno.test("spawn: a program that does not exist or cannot run throws as Deno reports it", async () => {
  const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
  let err: unknown;
  try {
    await spawnProcess(["cairn-no-such-program"], { env });
  } catch (e) {
    err = e;
  }
  assert(err instanceof Deno.errors.NotFound, String(err));
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/noexec`, "#!/bin/sh\n");
    err = undefined;
    try {
      await spawnProcess([`${dir}/noexec`], { env });
    } catch (e) {
      err = e;
    }
    assert(err instanceof Deno.errors.PermissionDenied, String(err));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("spawn: exit status and signal of the program itself (not of a wrapper)", async () => {
  const env = { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" };
  const a = await spawnProcess(["sh", "-c", "exit 7"], { env });
  assertEquals([a.code, a.signal], [7, null]);
  const b = await spawnProcess(["sh", "-c", "kill -TERM $$"], { env });
  assertEquals(b.signal, "SIGTERM");
});
