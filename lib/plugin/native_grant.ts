/**
 * The native libraries a built-in plugin's Worker may open through FFI (its
 * manifest's `ffi` entries name them by placeholder: `{libc}`). A Worker's FFI
 * grant is a list of library paths, matched against the path given to
 * `Deno.dlopen` as a string, so the host finds the library's path and hands the
 * same string to the plugin (PluginContext.nativeLibs). Nothing is granted
 * when this process lacks the FFI permission itself (a script importing mod.ts
 * with narrower grants: the plugin then takes its Deno path), on systems
 * without glibc, or when the user opts out with CAIRN_NO_NATIVE_REMOTE=1.
 */

import { granted } from "../native_lib.ts";

/** Where distributions keep glibc, when /proc/self/maps cannot tell. */
const LIBC_CANDIDATES: Record<string, string[]> = {
  x86_64: ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6"],
  aarch64: ["/lib/aarch64-linux-gnu/libc.so.6", "/usr/lib/aarch64-linux-gnu/libc.so.6"],
};
const LIBC_COMMON = ["/lib64/libc.so.6", "/usr/lib64/libc.so.6", "/usr/lib/libc.so.6"];

/** The opt-out variable (like lib/native_lib.ts's CAIRN_NO_NATIVE_* ones). */
export const NATIVE_REMOTE_OPT_OUT = "CAIRN_NO_NATIVE_REMOTE";

let cached: Record<string, string> | undefined;

/** The glibc this process runs on (from /proc/self/maps), or a usual place. */
function findLibc(): string | undefined {
  if (granted({ name: "read", path: "/proc/self/maps" })) {
    try {
      const maps = Deno.readTextFileSync("/proc/self/maps");
      const m = /\s(\/\S*\/libc\.so\.6)$/m.exec(maps);
      if (m && granted({ name: "ffi", path: m[1] })) return m[1];
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  for (const p of [...(LIBC_CANDIDATES[Deno.build.arch] ?? []), ...LIBC_COMMON]) {
    if (!granted({ name: "read", path: p }) || !granted({ name: "ffi", path: p })) continue;
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return undefined;
}

/**
 * Placeholder values for `ffi` entries (`libc` -> its path), empty when no
 * native library may be handed on (see the module comment). The environment
 * (`env`, else this process's, when it may read the variable: no prompt) opts
 * out when either sets the variable.
 */
export function nativeLibValues(env?: Record<string, string | undefined>): Record<string, string> {
  if (Deno.build.os !== "linux") return {};
  if (env?.[NATIVE_REMOTE_OPT_OUT]) return {};
  if (
    granted({ name: "env", variable: NATIVE_REMOTE_OPT_OUT }) &&
    Deno.env.get(NATIVE_REMOTE_OPT_OUT)
  ) return {};
  if (!granted({ name: "ffi" })) return {};
  if (!cached) {
    const libc = findLibc();
    cached = libc ? { libc } : {};
  }
  return cached;
}
