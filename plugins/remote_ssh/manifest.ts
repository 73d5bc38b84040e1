import type { PluginManifest } from "../../lib/plugin/manifest.ts";

/**
 * SFTP. Network only to the configured host and port; reads the configured
 * key file (or the user's ~/.ssh keys), the agent socket if one is set, and
 * the cache for upload sources / download temps.
 */
export const manifest: PluginManifest = {
  name: "remote_ssh",
  apiVersion: 1,
  kind: "remote",
  schemes: ["ssh", "sftp"],
  description: "SSH/SFTP server (url = ssh://[user@]host[:port]/path)",
  permissions: {
    net: ["{remote.url.hostname}:{remote.port}"],
    read: [
      "{cacheDir}",
      ["{remote.keyfile}", "{home}/.ssh"],
      "{env.SSH_AUTH_SOCK}",
    ],
    write: ["{cacheDir}", "{env.SSH_AUTH_SOCK}"],
    env: ["SSH_AUTH_SOCK", "USER"],
  },
};
