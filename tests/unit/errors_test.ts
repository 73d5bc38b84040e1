import { assertEquals, assertThrows } from "../_rig/assert.ts";
import {
  CairnError,
  ConfigError,
  ConfigFileError,
  ExitCode,
  fsError,
  ignoreDenied,
  ignoreNotFound,
  NoRemoteError,
  PathExistsError,
  RemoteNotFoundError,
  UnknownRevisionError,
} from "../../lib/errors.ts";

Deno.test("errors: config file errors carry DVC's prefix and exit 251", () => {
  const e = new RemoteNotFoundError("nope");
  assertEquals(e instanceof ConfigError, true);
  assertEquals(e.exitCode, ExitCode.config);
  assertEquals(e.message, "configuration error - config file error: remote 'nope' doesn't exist");
  const none = new NoRemoteError("no remote specified in /r/.dvc/config.");
  assertEquals([none instanceof ConfigFileError, none.exitCode], [true, 251]);
  assertEquals(none.detail, "no remote specified in /r/.dvc/config.");
});

Deno.test("errors: typed failures keep DVC's texts and exit 1", () => {
  assertEquals(new UnknownRevisionError("v9").message, "unknown Git revision 'v9'");
  assertEquals(
    new UnknownRevisionError("v9", "../src").message,
    "unknown Git revision 'v9' in '../src'",
  );
  const exists = new PathExistsError("data", "use --force to overwrite it");
  assertEquals([exists.message, exists.hint, exists.exitCode], [
    "'data' already exists",
    "use --force to overwrite it",
    1,
  ]);
});

Deno.test("errors: ignoreNotFound lets only a missing path pass", () => {
  ignoreNotFound(new Deno.errors.NotFound("gone"));
  ignoreNotFound(new Deno.errors.NotADirectory("a/file/below"));
  ignoreNotFound(fsError(new Deno.errors.NotFound("gone"), "reading", "/x"));
  assertThrows(() => ignoreNotFound(new Deno.errors.PermissionDenied("no")));
  assertThrows(() => ignoreNotFound(new TypeError("bug")));
  assertThrows(() => ignoreNotFound(new CairnError("other")));
});

Deno.test("errors: ignoreDenied lets only a denied permission pass", () => {
  ignoreDenied(new Deno.errors.NotCapable("no env grant"));
  ignoreDenied(new Deno.errors.PermissionDenied("EACCES"));
  assertThrows(() => ignoreDenied(new Deno.errors.NotFound("gone")));
  assertThrows(() => ignoreDenied(new TypeError("bug")));
  assertThrows(() => ignoreDenied(new CairnError("other")));
});
