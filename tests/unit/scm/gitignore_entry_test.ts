/**
 * `.gitignore` lines for tracked names (lib/scm/gitignore.ts): DVC's bytes
 * where DVC is right, extra escapes where git would read the name otherwise,
 * a refusal for a newline. Real git judges them in
 * tests/security/gitignore_names_test.ts.
 */
import { assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import { gitignoreEntry, gitignoreNameProblem } from "../../../lib/scm/gitignore.ts";

Deno.test("gitignoreEntry: DVC's escapes, byte for byte", () => {
  assertEquals(gitignoreEntry("data.csv"), "/data.csv");
  assertEquals(gitignoreEntry("#x"), "/\\#x");
  assertEquals(gitignoreEntry("!x"), "/\\!x");
  assertEquals(gitignoreEntry("a*b?c[d]"), "/a\\*b\\?c\\[d\\]");
  assertEquals(gitignoreEntry("sp ace"), "/sp ace");
});

Deno.test("gitignoreEntry: backslash, trailing spaces and a trailing CR are kept for git", () => {
  assertEquals(gitignoreEntry("a\\b"), "/a\\\\b");
  assertEquals(gitignoreEntry("t "), "/t\\ ");
  assertEquals(gitignoreEntry("t  "), "/t\\ \\ ");
  assertEquals(gitignoreEntry("cr\r"), "/cr[\r]");
  assertEquals(gitignoreEntry("mid\rx"), "/mid\rx");
});

Deno.test("a newline cannot be expressed: refused", () => {
  assertMatch(gitignoreNameProblem("a\nb") ?? "", /newline/);
  assertEquals(gitignoreNameProblem("a b"), null);
  assertThrows(() => gitignoreEntry("a\nb"), /newline/);
});
