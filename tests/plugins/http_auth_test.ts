/** WebDAV/HTTP remotes behind basic auth: user/password keys, and a clear error without them. */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import { PluginError } from "../../lib/plugin/loader.ts";
import { readServicesEnv, remoteCase, removeTree, testOptions } from "./_remotes.ts";

const env = readServicesEnv();
const c = remoteCase("webdav", env);
const hostPort = (env.CAIRN_TEST_HTTP_URL ?? "").replace(/^http:\/\//, "");

Deno.test({
  name: "webdav with basic auth: user/password from config; 401 is a fatal, named error",
  ...testOptions(c),
  fn: async () => {
    const prefix = `private/t-${crypto.randomUUID().slice(0, 8)}`;
    const dir = Deno.makeTempDirSync();
    const creds = { user: env.CAIRN_TEST_HTTP_USER, password: env.CAIRN_TEST_HTTP_PASSWORD };
    try {
      Deno.writeTextFileSync(`${dir}/obj`, "secret data\n");
      const ok = await openRemote({ url: `webdav://${hostPort}/${prefix}`, ...creds }, {
        name: "dav",
        cacheDir: dir,
      });
      try {
        const put = await ok.put([{ src: `${dir}/obj`, key: "files/md5/aa/bb" }]);
        assertEquals(put, [{ ok: true, bytes: 12 }]);
        assertEquals(await ok.list(""), ["files/md5/aa/bb"]);
      } finally {
        await ok.close();
      }
      // Read-only http:// with the same credentials.
      const http = await openRemote({ url: `http://${hostPort}/${prefix}`, ...creds }, {
        name: "h",
        cacheDir: dir,
      });
      try {
        assertEquals(await http.exists(["files/md5/aa/bb"]), [true]);
      } finally {
        await http.close();
      }
      const anon = await openRemote({ url: `webdav://${hostPort}/${prefix}` }, {
        name: "dav",
        cacheDir: dir,
      });
      try {
        const err = await anon.exists(["files/md5/aa/bb"]).then(() => null, (e) => e);
        assert(err instanceof PluginError, String(err));
        assertMatch(err.message, /401/);
        assertEquals(err.wire.fatal, true);
        assertMatch(err.hint ?? "", /password/);
      } finally {
        await anon.close();
      }
    } finally {
      removeTree(dir);
      removeTree(`${env.CAIRN_TEST_HTTP_ROOT}/${prefix}`);
    }
  },
});
