import { assertEquals } from "../../_rig/assert.ts";
import { closestNames } from "../../../lib/cli/unknown_command.ts";

const NAMES = ["add", "checkout", "commit", "status", "stage", "remote", "remove", "repro", "root"];

Deno.test("closest command names: typos, swaps, prefixes; nothing for far words", () => {
  assertEquals(closestNames("chekout", NAMES), ["checkout"]);
  assertEquals(closestNames("stauts", NAMES), ["status"]);
  assertEquals(closestNames("remvoe", NAMES), ["remove"]);
  assertEquals(closestNames("rem", NAMES), ["remote", "remove"]);
  assertEquals(closestNames("xyzzy", NAMES), []);
});
