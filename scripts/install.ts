/**
 * `deno task install`: a `cairn` command on PATH that runs exactly what
 * `scripts/cairn` runs: cli.ts with the "cairn" permission set of deno.json
 * (`-P=cairn`), from this checkout.
 *
 * It writes the launcher itself rather than using `deno install --global`,
 * whose launcher drops `-P=cairn` (so `cairn init` failed with `Requires run
 * access to "git"`) and runs whatever `deno` is on PATH. This one names the
 * Deno that ran the install by its absolute path, so it also works when the
 * only Deno is the one `scripts/deno` keeps in `.tools/`.
 *
 * Where: `$DENO_INSTALL_ROOT/bin` (default `~/.deno/bin`), as deno install.
 * Dependencies are cached now, so the first `cairn` needs no network.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const config = join(root, "deno.json");
const cli = join(root, "cli.ts");
const deno = Deno.execPath();

function installRoot(): string {
  const explicit = Deno.env.get("DENO_INSTALL_ROOT");
  if (explicit) return explicit;
  const home = Deno.env.get("HOME");
  if (!home) throw new Error("set HOME or DENO_INSTALL_ROOT");
  return join(home, ".deno");
}

/** A shell-quoted word ('...' with ' escaped). */
function q(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

const cached = await new Deno.Command(deno, {
  args: ["cache", "-q", "--config", config, cli],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (cached.code !== 0) {
  console.error("install: could not fetch cairn's dependencies (deno cache failed)");
  Deno.exit(cached.code);
}

const bin = join(installRoot(), "bin");
Deno.mkdirSync(bin, { recursive: true });
const target = join(bin, "cairn");
const launcher = [
  "#!/bin/sh",
  "# cairn, installed by scripts/install.ts (deno task install) from this checkout;",
  '# the same command as scripts/cairn: the "cairn" permission set of deno.json.',
  `exec ${q(deno)} run -q -P=cairn --config ${q(config)} ${q(cli)} "$@"`,
  "",
].join("\n");
// Written next to the target and renamed over it: a running `cairn` never sees half a file.
const tmp = `${target}.${Deno.pid}.tmp`;
Deno.writeTextFileSync(tmp, launcher, { mode: 0o755 });
Deno.chmodSync(tmp, 0o755);
Deno.renameSync(tmp, target);

const onPath = (Deno.env.get("PATH") ?? "").split(":").includes(bin);
console.error(`installed: ${target}${onPath ? "" : ` (add ${bin} to your PATH)`}`);
