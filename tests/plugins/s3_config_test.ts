/** S3 remote config: credentials from a profile file, and the clear errors for bad setups. */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import { PluginError } from "../../lib/plugin/loader.ts";
import { readServicesEnv, remoteCase, removeTree, testOptions } from "./_remotes.ts";

const env = readServicesEnv();
const c = remoteCase("s3", env);

Deno.test({
  name: "s3: credentials from a profile in a credentials file (credentialpath)",
  ...testOptions(c),
  fn: async () => {
    const dir = Deno.makeTempDirSync();
    try {
      Deno.writeTextFileSync(
        `${dir}/credentials`,
        "[default]\naws_access_key_id = nope\naws_secret_access_key = nope\n\n" +
          "[cairn]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n",
      );
      const config = {
        url: c.config.url,
        endpointurl: c.config.endpointurl,
        profile: "cairn",
        credentialpath: `${dir}/credentials`,
      };
      const r = await openRemote(config, { name: "s3", cacheDir: dir });
      try {
        assert(r.plugin.permissions.read.includes(Deno.realPathSync(`${dir}/credentials`)));
        await r.writeBytes("probe", new TextEncoder().encode("x"));
        assertEquals(await r.exists(["probe"]), [true]);
        await r.remove(["probe"]);
      } finally {
        await r.close();
      }
      const bad = await openRemote({ ...config, profile: "missing" }, { name: "s3", cacheDir: dir })
        .then(
          () => null,
          (e) => e,
        );
      assert(bad instanceof PluginError);
      assertMatch(bad.message, /AWS profile 'missing' not found/);
    } finally {
      removeTree(dir);
    }
  },
});

Deno.test({
  name: "s3: a missing bucket is one clear, fatal error",
  ...testOptions(c),
  fn: async () => {
    const r = await openRemote(
      { ...c.config, url: "s3://no-such-bucket-cairn/x" },
      { name: "s3" },
    );
    try {
      const err = await r.exists(["a", "b"]).then(() => null, (e) => e);
      assert(err instanceof PluginError);
      assertEquals(err.message, "remote 's3': S3 bucket 'no-such-bucket-cairn' does not exist");
      assertEquals(err.wire.fatal, true);
    } finally {
      await r.close();
    }
  },
});
