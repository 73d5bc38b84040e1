/// <reference lib="deno.worker" />
/**
 * Can Landlock confine here? Tried on this Worker's own OS thread (Landlock,
 * no_new_privs, seccomp and capabilities are per thread; no TSYNC), which
 * then starts /bin/true; cairn's main thread is never touched, and the
 * Worker is terminated right after. Saves a Deno process start per cairn
 * run (landlock.ts probeLandlock; the launcher process is the fallback).
 */
import { confine } from "./landlock_launcher.ts";

try {
  const abi = confine({
    abi: 99,
    rules: [{ path: "/", access: "ro" }, { path: "/dev/null", access: "dev" }],
    net: "none",
    seccomp: true,
    argv: ["/bin/true"],
    cwd: "/",
    report: "",
    probe: true,
  });
  const r = await new Deno.Command("/bin/true", { stdin: "null", stdout: "null", stderr: "null" })
    .output();
  self.postMessage({ works: r.success, abi, problem: r.success ? undefined : `exit ${r.code}` });
} catch (e) {
  self.postMessage({ works: false, abi: 0, problem: (e as Error).message });
}
