/**
 * What the Landlock backend could build on (issue 11, measured, not used
 * yet): Landlock, no_new_privs and seccomp apply to the calling thread, and
 * Deno starts a child from the calling JS thread, so a child started from a
 * Worker that confined its own thread is confined, while cairn's main thread
 * and a second, concurrent stage keep their own rights. Real kernel, no
 * mocks. (Not used because leftover processes would be re-parented to cairn
 * itself: see docs/sandbox.md.)
 */
import { assertEquals, assertMatch } from "../../_rig/assert.ts";

function stage(dir: string, tag: string): Promise<string> {
  const w = new Worker(new URL("./_landlock_thread_worker.ts", import.meta.url), {
    type: "module",
  });
  return new Promise((resolve) => {
    w.onmessage = (e) => {
      w.terminate();
      resolve(e.data as string);
    };
    w.postMessage({ dir, tag });
  });
}

Deno.test("landlock thread: a child of a confined Worker is confined; the main thread and another stage are not", async () => {
  const dir = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "cairn-llthread-" });
  try {
    Deno.mkdirSync(`${dir}/allowed`);
    Deno.mkdirSync(`${dir}/denied`);
    const first = stage(dir, "a");
    await new Promise((r) => setTimeout(r, 200));
    // While stage a runs: cairn's main thread writes where the stage may not,
    // synchronously, through the async thread pool, and through a child.
    Deno.writeTextFileSync(`${dir}/denied/main-sync`, "m");
    await Deno.writeTextFile(`${dir}/denied/main-async`, "m");
    const c = await new Deno.Command("/bin/sh", {
      args: ["-c", `echo m > ${dir}/denied/main-child`],
    }).output();
    assertEquals(c.code, 0);
    const second = stage(dir, "b");
    const [errA, errB] = await Promise.all([first, second]);
    assertMatch(errA, /denied\/a: Permission denied/);
    assertMatch(errB, /denied\/b: Permission denied/);
    // After both Workers ended, the main thread's async writes still work.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => Deno.writeTextFile(`${dir}/denied/after${i}`, "m")),
    );
    const names = (d: string) => [...Deno.readDirSync(`${dir}/${d}`)].map((e) => e.name).sort();
    assertEquals(names("allowed"), ["a", "b"]);
    assertEquals(
      names("denied").filter((n) => !n.startsWith("after")),
      ["main-async", "main-child", "main-sync"],
    );
    assertEquals(names("denied").length, 53);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
