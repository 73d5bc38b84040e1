/**
 * checkout/pull change lists as DVC prints them through rich: letter, tab
 * expanded to the 8-cell stop, wrapping at the console width. Expected texts
 * were printed by rich 14.2 (`Console(width=80).print(...)`) as DVC 3.64 uses it.
 */
import { assertEquals } from "../../_rig/assert.ts";
import { bufferIo } from "../../../lib/cli/io.ts";
import { renderCheckout, summaryLine } from "../../../lib/cli/render/checkout.ts";
import { richText } from "../../../lib/cli/render/rich.ts";
import { richWrap, stripRichMarkup } from "../../../lib/py/rich_text.ts";
import type { CheckoutSummary } from "../../../lib/repo/checkout.ts";

Deno.test("rich: markup tags dropped, escaped brackets kept", () => {
  assertEquals(stripRichMarkup("[green]A\td/"), "A\td/");
  assertEquals(stripRichMarkup("\\[x] [a]b[/a] \\\\[b]c"), "[x] b \\c");
  assertEquals(stripRichMarkup("data/[1].csv"), "data/[1].csv");
});

Deno.test("rich: tab stops and wrapping as rich 14.2 prints them at width 80", () => {
  assertEquals(richWrap("A\td/", 80), ["A       d/"]);
  assertEquals(richWrap("M\t" + "x".repeat(72), 80), ["M       " + "x".repeat(72)]);
  // one cell more: the word goes to the next line, the first keeps its spaces
  assertEquals(richWrap("M\t" + "x".repeat(73), 80), ["M       ", "x".repeat(73)]);
  // longer than a line: folded
  assertEquals(richWrap("M\t" + "abcdefghij/".repeat(9), 80), [
    "M       ",
    "abcdefghij/abcdefghij/abcdefghij/abcdefghij/abcdefghij/abcdefghij/abcdefghij/abc",
    "defghij/abcdefghij/",
  ]);
  assertEquals(richWrap("M\t" + "abc/ ".repeat(20), 80), [
    "M       abc/ abc/ abc/ abc/ abc/ abc/ abc/ abc/ abc/ abc/ abc/ abc/ abc/ abc/ ",
    "abc/ abc/ abc/ abc/ abc/ abc/ ",
  ]);
  assertEquals(richText("[red]D\tdata/", 80), "D       data/");
});

function summary(part: Partial<CheckoutSummary>): CheckoutSummary {
  return { outputs: [], added: [], modified: [], deleted: [], failed: [], ...part };
}

Deno.test("checkout: modified, added, deleted; directories first in each", () => {
  const io = bufferIo();
  renderCheckout(
    io,
    summary({ added: ["b.txt", "z/", "a.txt"], deleted: ["data/"], modified: ["m"] }),
    false,
  );
  assertEquals(
    io.stdout.join("\n"),
    [
      "M       m",
      "A       z/",
      "A       a.txt",
      "A       b.txt",
      "D       data/",
    ].join("\n"),
  );
});

Deno.test("checkout --summary / pull: DVC's get_summary wording and order", () => {
  assertEquals(
    summaryLine([["fetched", 3], ["modified", 0], ["added", 1]]),
    "3 files fetched and 1 file added",
  );
  assertEquals(
    summaryLine([["modified", 2], ["added", 1], ["deleted", 4]]),
    "2 files modified, 1 file added and 4 files deleted",
  );
  assertEquals(summaryLine([["fetched", 0]]), "");
  const io = bufferIo();
  renderCheckout(io, summary({}), true);
  assertEquals(io.stdout, ["No changes."]);
});
