/** A server that accepts connections but never answers must not hang a transfer. */
import { assert, assertMatch } from "../_rig/assert.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import "../../plugins/builtin.ts";
import { PluginError } from "../../lib/plugin/loader.ts";

Deno.test({
  name: "http and s3 remotes give up on a silent server (connect_timeout)",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of listener) held.push(conn); // accept, never reply
    })();
    try {
      const configs: Record<string, string>[] = [
        { url: `webdav://127.0.0.1:${port}/x`, connect_timeout: "1" },
        {
          url: "s3://bucket/x",
          endpointurl: `http://127.0.0.1:${port}`,
          access_key_id: "a",
          secret_access_key: "b",
          connect_timeout: "1",
        },
      ];
      for (const config of configs) {
        const r = await openRemote(config, { name: "slow" });
        // Should the timeout not fire, the server hangs up after a long while:
        // the request must fail on its own timeout, before that happens.
        let hungUp = false;
        const fallback = setTimeout(() => {
          hungUp = true;
          for (const c of held.splice(0)) c.close();
        }, 30_000);
        try {
          const err = await r.exists(["k"]).then(() => null, (e) => e);
          assert(err instanceof PluginError, String(err));
          assertMatch(err.message, /no response within 1 s/);
          assert(!hungUp, "gave up only when the server hung up");
        } finally {
          clearTimeout(fallback);
          await r.close();
        }
      }
    } finally {
      listener.close();
      for (const c of held) c.close();
      await accepting.catch(() => {});
    }
  },
});
