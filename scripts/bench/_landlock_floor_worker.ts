/// <reference lib="deno.worker" />
/**
 * The kernel's own cost of Landlock, for scripts/bench/sandbox.ts: this
 * Worker confines its own OS thread with the rules (and seccomp filter) the
 * launcher would apply for the stage, then runs the stage's `sh -c` itself,
 * as a plain run does: no launcher, no wrapper, no cairn around it. Landlock
 * confines the calling thread and what it starts (see
 * tests/unit/sandbox/landlock_thread_test.ts). Messages: {rules, cwd} once,
 * then {cmd} per run; answers the run's wall ms.
 */
import { confine, type LaunchRule } from "../../lib/sandbox/landlock_launcher.ts";

self.onmessage = async (ev: MessageEvent<{ rules?: LaunchRule[]; cmd?: string; cwd: string }>) => {
  const { rules, cmd, cwd } = ev.data;
  if (rules) {
    confine({ abi: 99, rules, net: "none", seccomp: true, argv: [], cwd, report: "" });
    self.postMessage(0);
    return;
  }
  const t0 = performance.now();
  const r = await new Deno.Command("/bin/sh", {
    args: ["-c", cmd!],
    cwd,
    detached: true,
    stdout: "null",
    stderr: "null",
  }).output();
  self.postMessage(r.success ? performance.now() - t0 : -1);
};
