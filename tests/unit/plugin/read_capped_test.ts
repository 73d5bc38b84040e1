import { assertEquals, assertRejects } from "../../_rig/assert.ts";
import { readCapped } from "../../../plugins/_read_capped.ts";

/** A body of `chunks` with no declared length (as a chunked response is), noting how far it was read. */
function body(chunks: number[]): { res: Response; pulled: () => number; cancelled: () => boolean } {
  let i = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (i < chunks.length) c.enqueue(new Uint8Array(chunks[i++]).fill(7));
      else c.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { res: new Response(stream), pulled: () => i, cancelled: () => cancelled };
}

Deno.test("readCapped: within the limit the whole body; past it an error, the stream cancelled, not read on", async () => {
  const ok = body([3, 3, 2]);
  assertEquals(await readCapped(ok.res, "k", 8), new Uint8Array(8).fill(7));
  const big = body([4, 4, 4, 4, 4, 4]);
  await assertRejects(() => readCapped(big.res, "k", 9), Error, "k is over 9 bytes");
  assertEquals(big.pulled() < 6, true, `read ${big.pulled()} of 6 chunks`);
  assertEquals(big.cancelled(), true);
  // a declared length over the limit: refused before the body is read
  const declared = new Response("0123456789", { headers: { "content-length": "10" } });
  await assertRejects(() => readCapped(declared, "k", 9), Error, "k is 10 bytes");
  // no limit: as arrayBuffer()
  assertEquals((await readCapped(new Response("abc"), "k", undefined)).length, 3);
});
