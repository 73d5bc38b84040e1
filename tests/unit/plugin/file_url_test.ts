/** lib/plugin/_file_url.ts gives node:url's pathToFileURL result without loading Node compat. */
import { assertEquals } from "../../_rig/assert.ts";
import { pathToFileURL } from "node:url";
import { toFileUrl } from "../../../lib/plugin/_file_url.ts";

Deno.test("toFileUrl matches pathToFileURL on POSIX paths, special characters included", () => {
  const paths = [
    "/",
    "/a/b.ts",
    "/a b/c.ts",
    "/a%20b/c",
    "/100%",
    "/a#b/c?d",
    "/ünï/cödé.ts",
    "/é/\u{1F600}",
    "/a\\b",
    "/a\nb\tc\rd",
    "/a/./b/../c",
    "/a//b",
    "/trailing/",
    "/x;y=z&w",
    "/[x]/{y}",
    "/a'b\"c`d",
    "/a^b|c",
    "/~x/@y/:z/!/$/&/(*)/+,;=",
  ];
  for (const p of paths) assertEquals(toFileUrl(p), pathToFileURL(p).href, JSON.stringify(p));
});
