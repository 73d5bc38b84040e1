/**
 * A launcher started ahead of time adds the static rules (/proc, devices)
 * to a ruleset before its stage is known (landlock_launcher.ts
 * prebuildRuleset). confine() may use that ruleset only when the stage's
 * rules include every rule in it: rules add up, so one the stage was not
 * given would widen what it may do. Real kernel, each case on its own
 * Worker thread (Landlock confines the calling thread).
 */
import { assertEquals, assertMatch, assertNotMatch } from "../../_rig/assert.ts";
import type { LaunchRule } from "../../../lib/sandbox/landlock_launcher.ts";

function confined(
  dir: string,
  pre: LaunchRule[],
  spec: LaunchRule[],
): Promise<{ used: boolean; stderr: string }> {
  const w = new Worker(new URL("./_landlock_prebuilt_worker.ts", import.meta.url), {
    type: "module",
  });
  return new Promise((resolve) => {
    w.onmessage = (e) => {
      w.terminate();
      resolve(e.data);
    };
    w.postMessage({ dir, pre, spec });
  });
}

Deno.test("landlock prebuilt ruleset: used when the stage's rules hold it, never widening them", async () => {
  const dir = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "cairn-llpre-" });
  try {
    Deno.mkdirSync(`${dir}/a`);
    Deno.mkdirSync(`${dir}/b`);
    const a: LaunchRule = { path: `${dir}/a`, access: "rw" };
    const b: LaunchRule = { path: `${dir}/b`, access: "rw" };
    // The stage was given a/ and b/, the prebuilt ruleset holds a/: a/ from
    // it, b/ added; both writable.
    const both = await confined(dir, [a], [a, b]);
    assertEquals(both.used, true);
    assertEquals(both.stderr, "");
    // The stage was given b/ only: the prebuilt ruleset (with a/) is not
    // used, a/ stays read-only.
    const onlyB = await confined(dir, [a], [b]);
    assertMatch(onlyB.stderr, /a\/x: Permission denied/);
    assertNotMatch(onlyB.stderr, /b\/x/);
    // The same path with other rights is another rule.
    const ro = await confined(dir, [a], [{ ...a, access: "ro" }, b]);
    assertMatch(ro.stderr, /a\/x: Permission denied/);
    const names = (d: string) => [...Deno.readDirSync(`${dir}/${d}`)].map((e) => e.name);
    assertEquals([names("a"), names("b")], [["x"], ["x"]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
