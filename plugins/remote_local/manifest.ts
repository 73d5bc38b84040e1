import type { PluginManifest } from "../../lib/plugin/manifest.ts";

/** A folder on this machine (or a mounted share): reads and writes only there and in the cache. */
export const manifest: PluginManifest = {
  name: "remote_local",
  apiVersion: 1,
  kind: "remote",
  schemes: [""],
  description: "local folder remote (url = a path)",
  permissions: {
    read: ["{remote.path}", "{cacheDir}"],
    write: ["{remote.path}", "{cacheDir}"],
  },
};
