/**
 * `deno task install`: a `cairn` command on PATH (deno install --global) with
 * the same permission set as the binary and the tests.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = [
  "install",
  "--global",
  "--force",
  "-q",
  "-P=cairn",
  "--config",
  join(root, "deno.json"),
  "--name",
  "cairn",
  join(root, "cli.ts"),
];
const { code } = await new Deno.Command(Deno.execPath(), {
  args,
  stdout: "inherit",
  stderr: "inherit",
})
  .output();
if (code === 0) console.error("installed: cairn (make sure ~/.deno/bin is on your PATH)");
Deno.exit(code);
