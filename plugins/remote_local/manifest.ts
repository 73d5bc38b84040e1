import type { PluginManifest } from "../../lib/plugin/manifest.ts";

/**
 * A folder on this machine (or a mounted share): reads and writes only there and in the cache.
 * `ffi`: libc, for openat2 relative to the two folders (./_native_fs.ts); a built-in only grant,
 * dropped when cairn itself has no FFI permission or CAIRN_NO_NATIVE_REMOTE is set.
 */
export const manifest: PluginManifest = {
  name: "remote_local",
  apiVersion: 1,
  kind: "remote",
  schemes: [""],
  description: "local folder remote (url = a path)",
  permissions: {
    read: ["{remote.path}", "{cacheDir}"],
    write: ["{remote.path}", "{cacheDir}"],
    ffi: ["{libc}"],
  },
};
