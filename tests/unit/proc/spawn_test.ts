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
