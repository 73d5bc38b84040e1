/** SSH remote config: wrong credentials, a missing key file, an unreachable host. */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import { PluginError } from "../../lib/plugin/loader.ts";
import { readServicesEnv, remoteCase, testOptions } from "./_remotes.ts";

const env = readServicesEnv();
const c = remoteCase("ssh", env);

async function failure(config: Record<string, string>): Promise<PluginError> {
  const r = await openRemote(config, { name: "box" }).catch((e) => e);
  if (r instanceof PluginError) return r;
  try {
    const err = await r.exists(["k"]).then(() => null, (e: unknown) => e);
    assert(err instanceof PluginError, `expected a PluginError, got ${err}`);
    return err;
  } finally {
    await r.close();
  }
}

Deno.test({
  name: "ssh: bad user, missing key file and closed port are clear fatal errors",
  ...testOptions(c),
  fn: async () => {
    const wrongUser = await failure({ ...c.config, user: "nobody" });
    assertMatch(wrongUser.message, /ssh authentication to nobody@127\.0\.0\.1:\d+ failed/);
    assertEquals(wrongUser.wire.fatal, true);
    assertMatch(wrongUser.hint ?? "", /keyfile/);

    const noKey = await failure({ ...c.config, keyfile: "/nonexistent/id_ed25519" });
    assertMatch(noKey.message, /cannot read ssh key file '\/nonexistent\/id_ed25519'/);

    const closed = await failure({ ...c.config, url: "ssh://127.0.0.1:1/srv" });
    assertMatch(closed.message, /cannot reach ssh server 127\.0\.0\.1:1/);
    assertEquals(closed.wire.fatal, true);
  },
});

Deno.test({
  name: "ssh: sftp:// url with the port from config",
  ...testOptions(c),
  fn: async () => {
    const r = await openRemote({
      url: `sftp://${env.CAIRN_TEST_SSH_HOST}${env.CAIRN_TEST_SSH_ROOT}`,
      port: env.CAIRN_TEST_SSH_PORT,
      user: env.CAIRN_TEST_SSH_USER,
      keyfile: env.CAIRN_TEST_SSH_KEYFILE,
    }, { name: "box" });
    try {
      assertEquals(r.plugin.permissions.net, [`127.0.0.1:${env.CAIRN_TEST_SSH_PORT}`]);
      assertEquals(await r.exists(["files/md5/00/nothing"]), [false]);
    } finally {
      await r.close();
    }
  },
});
