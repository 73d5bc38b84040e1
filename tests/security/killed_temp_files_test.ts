/**
 * Issue 10 item 10: cairn's own temp files must not outlive a kill -9. A
 * real `scripts/cairn` process is stopped (SIGSTOP) repeatedly until a temp
 * file of its own is seen while it is frozen, then killed with SIGKILL, so
 * the temp is certainly left behind. The next plain run must remove it
 * quietly: checkout (no `-f` needed), add / gc (the cache).
 */
import { join } from "node:path";
import { assert, assertEquals } from "../_rig/assert.ts";
import { CAIRN, cairnOk, GIT_ENV, removeDir, run } from "../_rig/rig.ts";
import { hostTag, isStaleTemp, parseTempName } from "../../lib/fs/temp_files.ts";
import { makeArena } from "./_paths.ts";

/** Every cairn temp file below `dir` (any depth), with its path. */
function tempsBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else if (parseTempName(e.name)) out.push(`${d}/${e.name}`);
    }
  };
  walk(dir);
  return out;
}

function processState(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return null;
  }
}

/**
 * Run `cairn ARGS` and kill -9 it at a moment when it has a temp file below
 * `watch`: stop it, look, continue, until one is seen while it is stopped.
 * Returns the temps left behind and the killed pid.
 */
async function killWithTempLeft(
  args: string[],
  cwd: string,
  watch: string,
  accept: (temps: string[]) => boolean = (t) => t.length > 0,
): Promise<{ temps: string[]; pid: number }> {
  const child = new Deno.Command(CAIRN, {
    args,
    cwd,
    env: GIT_ENV,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const pid = child.pid;
  const signal = (sig: Deno.Signal) => {
    try {
      Deno.kill(pid, sig);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // ended meanwhile
    }
  };
  for (;;) {
    if (exited || processState(pid) === null || processState(pid) === "Z") {
      await status;
      throw new Error(
        `cairn ${args.join(" ")} ended before a temp file was caught; more work needed`,
      );
    }
    signal("SIGSTOP");
    // wait until it is really stopped (state T) before looking
    while (!exited && !["T", "t", "Z", null].includes(processState(pid))) {
      await new Promise((r) => setTimeout(r, 1));
    }
    const temps = tempsBelow(watch).filter((t) => parseTempName(t.split("/").pop()!)?.pid === pid);
    if (accept(temps)) {
      signal("SIGKILL");
      const s = await status;
      assertEquals(s.signal, "SIGKILL");
      return { temps, pid };
    }
    signal("SIGCONT");
    await new Promise((r) => setTimeout(r, 3));
  }
}

/** The next run: a new `scripts/cairn` process (an `env` makes the rig spawn one). */
function next(args: string[], cwd: string) {
  return cairnOk(args, { cwd, env: { CAIRN_TEST_NEXT_RUN: "1" } });
}

/** `n` files of `size` bytes (default 16 KiB) with distinct content under `dir`, in 8 sub-folders. */
function writeMany(dir: string, n: number, size = 16 << 10, seed = 0): void {
  const block = new Uint8Array(size);
  for (let i = 0; i < n; i++) {
    const sub = join(dir, `s${i % 8}`);
    if (i < 8) Deno.mkdirSync(sub, { recursive: true });
    new DataView(block.buffer).setUint32(0, i);
    new DataView(block.buffer).setUint32(4, seed);
    block.fill(i & 0xff, 8);
    Deno.writeFileSync(join(sub, `f${i}.bin`), block);
  }
}

Deno.test("item 10: a killed checkout's temp files are removed by the next plain checkout (no -f) or status", async () => {
  const a = makeArena();
  try {
    // 4 MiB files are copied by copy_file_range: a stop can catch a half-written temp,
    // whose content is in no cache object (what made the next checkout ask for -f).
    const size = 4 << 20;
    writeMany(join(a.ws, "data"), 40, size);
    cairnOk(["add", "data"], { cwd: a.ws });
    run("git", ["add", "-A"], { cwd: a.ws });
    run("git", ["commit", "-qm", "data"], { cwd: a.ws });
    const partial = (ts: string[]) => ts.some((t) => Deno.statSync(t).size < size);
    const emptyData = () => {
      // the folders stay: the checkout writes in place, each file by temp + rename
      for (let i = 0; i < 8; i++) {
        for (const e of [...Deno.readDirSync(join(a.ws, "data", `s${i}`))]) {
          Deno.removeSync(join(a.ws, "data", `s${i}`, e.name));
        }
      }
    };
    emptyData();
    const { temps } = await killWithTempLeft(["checkout"], a.ws, join(a.ws, "data"), partial);
    for (const t of temps) assert(Deno.lstatSync(t).isFile, `left behind: ${t}`);
    const r = next(["checkout"], a.ws);
    assert(!/-f|force/.test(r.stderr), r.stderr);
    assertEquals(tempsBelow(join(a.ws, "data")), [], "no temp file left in the workspace");
    const st = cairnOk(["status"], { cwd: a.ws });
    assert(/up to date/.test(st.stdout), st.stdout);
    let n = 0;
    for (let i = 0; i < 8; i++) n += [...Deno.readDirSync(join(a.ws, "data", `s${i}`))].length;
    assertEquals(n, 40);
    // again, and this time `status` (read-only otherwise) is the next run that lists the folder
    emptyData();
    await killWithTempLeft(["checkout"], a.ws, join(a.ws, "data"), partial);
    next(["status"], a.ws);
    assertEquals(tempsBelow(join(a.ws, "data")), [], "status removed the dead checkout's temps");
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 10: a killed checkout of a missing folder leaves no partial output; the next checkout removes its staging folder", async () => {
  const a = makeArena();
  const tmp = join(a.ws, ".dvc", "tmp");
  try {
    const size = 4 << 20;
    writeMany(join(a.ws, "data"), 40, size);
    cairnOk(["add", "data"], { cwd: a.ws });
    run("git", ["add", "-A"], { cwd: a.ws });
    run("git", ["commit", "-qm", "data"], { cwd: a.ws });
    Deno.removeSync(join(a.ws, "data"), { recursive: true });
    // the folder is written in a staging folder in .dvc/tmp and renamed into place complete
    const partial = (ts: string[]) => ts.some((t) => Deno.statSync(t).size < size);
    const { pid } = await killWithTempLeft(["checkout"], a.ws, tmp, partial);
    const staging = () =>
      [...Deno.readDirSync(tmp)].filter((e) => e.isDirectory && parseTempName(e.name)?.pid === pid);
    assertEquals(staging().length, 1, "the killed checkout left its staging folder");
    assert(!existsPath(join(a.ws, "data")), "no partial output in the workspace");
    const r = next(["checkout"], a.ws);
    assert(!/-f|force/.test(r.stderr), r.stderr);
    assertEquals(staging(), [], "the next checkout removed the staging folder");
    assertEquals(tempsBelow(join(a.ws, "data")), []);
    let n = 0;
    for (let i = 0; i < 8; i++) n += [...Deno.readDirSync(join(a.ws, "data", `s${i}`))].length;
    assertEquals(n, 40);
    const st = cairnOk(["status"], { cwd: a.ws });
    assert(/up to date/.test(st.stdout), st.stdout);
  } finally {
    removeDir(a.outer);
  }
});

function existsPath(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

Deno.test("item 10: a killed add's temp files in the cache are removed by the next add, and by gc", async () => {
  const a = makeArena();
  const cache = join(a.ws, ".dvc", "cache");
  try {
    // 4 MiB files: each object is written for a while, as `.<md5 rest>.<pid>...tmp` in its
    // fan-out folder (what the issue saw after kill -9 of an add of 30,000 files)
    const size = 4 << 20;
    const inFanOut = (ts: string[]) =>
      ts.some((t) => /\/files\/md5\/[0-9a-f]{2}\/\.[0-9a-f]{30}\./.test(t));
    writeMany(join(a.ws, "data"), 40, size);
    const first = await killWithTempLeft(["add", "data"], a.ws, cache, inFanOut);
    for (const t of first.temps) assert(Deno.lstatSync(t).isFile, `left behind: ${t}`);
    next(["status"], a.ws);
    next(["add", "data"], a.ws);
    assertEquals(tempsBelow(cache), [], "the next add removed the dead process's temps");

    writeMany(join(a.ws, "more"), 40, size, 1);
    const second = await killWithTempLeft(["add", "more"], a.ws, cache, inFanOut);
    assert(second.temps.length > 0);
    next(["gc", "-w", "-f"], a.ws);
    assertEquals(tempsBelow(cache), [], "gc removed the dead process's temps");
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 10: a killed import-url's staging folder is removed by the next run", async () => {
  const a = makeArena();
  try {
    const src = join(a.outer, "src.bin");
    const big = new Uint8Array(96 << 20);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    Deno.writeFileSync(src, big);
    const stagingDirs = () =>
      [...Deno.readDirSync(a.ws)].filter((e) => e.isDirectory && parseTempName(e.name))
        .map((e) => join(a.ws, e.name));
    const child = await killWithTempLeft(
      ["import-url", src, "imported.bin"],
      a.ws,
      a.ws,
      () => stagingDirs().length > 0,
    );
    assert(child.pid > 0);
    assert(stagingDirs().length > 0, "the killed run left its staging folder");
    next(["import-url", "--force", src, "imported.bin"], a.ws);
    assertEquals(stagingDirs(), [], "the next run removed it");
    assertEquals(Deno.statSync(join(a.ws, "imported.bin")).size, big.length);
  } finally {
    removeDir(a.outer);
  }
});

Deno.test("item 10: a temp is stale only when its process is gone or its pid was reused", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-stale-" });
  const name = (pid: number, host = hostTag()) => `.obj.${pid}.1.${host}x1.tmp`;
  try {
    // a process that has ended
    const done = new Deno.Command("true").spawn();
    await done.status;
    Deno.writeTextFileSync(join(dir, name(done.pid)), "");
    assert(isStaleTemp(dir, name(done.pid)), "owner gone");
    // same, but written on another host (a cache shared over NFS): not judged
    Deno.writeTextFileSync(join(dir, name(done.pid, "zzzz")), "");
    if (hostTag() !== "zzzz") assert(!isStaleTemp(dir, name(done.pid, "zzzz")), "other host");
    // a live owner
    const live = new Deno.Command("sleep", { args: ["60"] }).spawn();
    Deno.writeTextFileSync(join(dir, name(live.pid)), "");
    assert(!isStaleTemp(dir, name(live.pid)), "owner alive");
    live.kill("SIGKILL");
    await live.status;
    // this process's own temps are never stale
    Deno.writeTextFileSync(join(dir, name(Deno.pid)), "");
    assert(!isStaleTemp(dir, name(Deno.pid)));
    // not a cairn temp name
    Deno.writeTextFileSync(join(dir, `.obj.${done.pid}.tmp`), "");
    assert(!isStaleTemp(dir, `.obj.${done.pid}.tmp`));
    // a reused pid: temps named for the next pids (wrapping at pid_max), written before the
    // process that gets one of those pids starts; retried if other processes took them all
    const pidMax = Number(Deno.readTextFileSync("/proc/sys/kernel/pid_max").trim());
    let judged = false;
    for (let attempt = 0; attempt < 3 && !judged; attempt++) {
      const last = Number(Deno.readTextFileSync("/proc/sys/kernel/ns_last_pid").trim());
      const prepared = new Set<number>();
      for (let i = 1; prepared.size < 6000; i++) {
        const p = (last + i) % pidMax;
        if (p < 300) continue; // the kernel skips these when it wraps
        prepared.add(p);
        Deno.writeTextFileSync(join(dir, name(p)), "");
      }
      const written = Date.now();
      // the owner must start after the temps' ctime plus the clock slack (3 s)
      while (Date.now() - written < 4200) await new Promise((r) => setTimeout(r, 100));
      const later = new Deno.Command("sleep", { args: ["60"] }).spawn();
      try {
        if (!prepared.has(later.pid)) continue;
        assert(isStaleTemp(dir, name(later.pid)), "pid reused by a younger process");
        judged = true;
      } finally {
        later.kill("SIGKILL");
        await later.status;
        for (const p of prepared) Deno.removeSync(join(dir, name(p)));
      }
    }
    assert(judged, "a process got one of the prepared pids");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
