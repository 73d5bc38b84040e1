import type { PluginManifest } from "../../lib/plugin/manifest.ts";

/**
 * HTTP(S) (read-only, as DVC's http remote) and WebDAV(S) (read/write).
 * Network only to the URL's host and port; the cache for upload sources and
 * download temps.
 */
export const manifest: PluginManifest = {
  name: "remote_http",
  apiVersion: 1,
  kind: "remote",
  schemes: ["http", "https", "webdav", "webdavs"],
  description: "HTTP(S) read-only, WebDAV(S) read/write (url = webdav://host/path)",
  permissions: {
    net: ["{remote.url.hostname}:{remote.port}"],
    read: ["{cacheDir}", "{remote.cert_path}", "{remote.key_path}"],
    write: ["{cacheDir}"],
  },
};
