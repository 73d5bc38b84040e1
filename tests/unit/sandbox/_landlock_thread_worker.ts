/// <reference lib="deno.worker" />
/**
 * Worker for landlock_thread_test.ts: confines its own OS thread with
 * Landlock (no TSYNC), then starts a shell from that thread.
 */
import { confine } from "../../../lib/sandbox/landlock_launcher.ts";

self.onmessage = async (ev: MessageEvent<{ dir: string; tag: string }>) => {
  const { dir, tag } = ev.data;
  confine({
    abi: 99,
    rules: [
      { path: "/", access: "ro" },
      { path: `${dir}/allowed`, access: "rw" },
      { path: "/dev/null", access: "dev" },
    ],
    net: "none",
    seccomp: true,
    argv: [],
    cwd: "/",
    report: "",
  });
  const out = await new Deno.Command("/bin/sh", {
    args: [
      "-c",
      `echo x > ${dir}/denied/${tag}; echo y > ${dir}/allowed/${tag}; sleep 0.5`,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  self.postMessage(new TextDecoder().decode(out.stderr));
};
