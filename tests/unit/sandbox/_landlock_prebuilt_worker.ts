/// <reference lib="deno.worker" />
/**
 * Worker for landlock_prebuilt_test.ts: builds a ruleset ahead of time (as a
 * waiting launcher does), then confines its own OS thread with a spec that
 * may or may not hold all of those rules, and tries writes from a child.
 */
import { confine, prebuildRuleset } from "../../../lib/sandbox/landlock_launcher.ts";
import type { LaunchRule } from "../../../lib/sandbox/landlock_launcher.ts";

self.onmessage = async (
  ev: MessageEvent<{ dir: string; pre: LaunchRule[]; spec: LaunchRule[] }>,
) => {
  const { dir, pre, spec } = ev.data;
  const built = prebuildRuleset(pre);
  confine(
    {
      abi: 99,
      rules: [{ path: "/", access: "ro" }, { path: "/dev/null", access: "dev" }, ...spec],
      net: "none",
      seccomp: true,
      argv: [],
      cwd: "/",
      report: "",
    },
    undefined,
    built,
  );
  const out = await new Deno.Command("/bin/sh", {
    args: ["-c", `echo x > ${dir}/a/x; echo x > ${dir}/b/x; true`],
    stdout: "null",
    stderr: "piped",
  }).output();
  self.postMessage({ used: built !== undefined, stderr: new TextDecoder().decode(out.stderr) });
};
