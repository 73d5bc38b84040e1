/** The deno runner's permissions, checked by running real `deno run`. */
import { assert, assertEquals, assertStrictEquals, assertThrows } from "../../_rig/assert.ts";
import { denoArgs, parseDenoCommand, shellWords } from "../../../lib/sandbox/deno_args.ts";
import { parseSandboxMeta, resolveGrants } from "../../../lib/sandbox/grants.ts";
import { SandboxGrantError } from "../../../lib/sandbox/errors.ts";
import { hostEnv, makeProject, type Project, startServer } from "./_fixture.ts";

Deno.test("deno runner: recognise Deno stage commands", () => {
  assertEquals(shellWords(`deno run 'a b.ts' "c d" e\\ f`), [
    "deno",
    "run",
    "a b.ts",
    "c d",
    "e f",
  ]);
  assertStrictEquals(shellWords("deno run x.ts | tee log"), undefined);
  assertStrictEquals(shellWords("deno run x.ts > out"), undefined);
  assertStrictEquals(shellWords('deno run x.ts "$HOME"'), undefined);
  assertEquals(
    parseDenoCommand("deno run -A --allow-net=x -q --config deno.json src/x.ts --n 3"),
    {
      script: "src/x.ts",
      scriptArgs: ["--n", "3"],
      flags: ["-q", "--config", "deno.json"],
      dropped: ["-A", "--allow-net=x"],
    },
  );
  assertEquals(parseDenoCommand("./train.ts data.csv")?.script, "./train.ts");
  assertEquals(parseDenoCommand("deno x.mjs")?.script, "x.mjs");
  assertStrictEquals(parseDenoCommand("python train.py"), undefined);
  assertStrictEquals(parseDenoCommand("deno task build"), undefined);
  assertStrictEquals(parseDenoCommand("deno run x.ts && echo done"), undefined);
});

const SCRIPT = `
const [what, arg] = Deno.args;
try {
  if (what === "read") console.log(Deno.readTextFileSync(arg).trim());
  if (what === "write") { Deno.writeTextFileSync(arg, "written\\n"); console.log("wrote"); }
  if (what === "env") console.log(Deno.env.get(arg));
  if (what === "fetch") console.log((await (await fetch(arg)).text()).trim());
  if (what === "run") console.log(new TextDecoder().decode(new Deno.Command("true").outputSync().stdout));
} catch (e) {
  console.log(e.name);
}
`;

function plan(
  p: Project,
  cmd: string,
  meta: unknown = {},
  extra: { deps?: string[]; outs?: string[] } = {},
) {
  const env = hostEnv({ SECRET_TOKEN: "s3cr3t" });
  const grants = resolveGrants(parseSandboxMeta(meta), {
    cwd: p.root,
    repoRoot: p.root,
    cacheDir: p.cacheDir,
    env,
  });
  return denoArgs(cmd, {
    cwd: p.root,
    repoRoot: p.root,
    cacheDir: p.cacheDir,
    deps: extra.deps ?? ["src/stage.ts", "data/raw.csv"],
    outs: extra.outs ?? ["out/result.txt"],
    grants,
    env,
  });
}

async function runPlan(p: Project, cmd: string, meta: unknown = {}, extra = {}) {
  const pl = plan(p, cmd, meta, extra);
  for (const d of pl.outParents) Deno.mkdirSync(d, { recursive: true });
  const r = await new Deno.Command(pl.argv[0], {
    args: pl.argv.slice(1),
    cwd: p.root,
    env: { ...pl.env, DENO_DIR: `${p.outside}/deno-dir`, NO_COLOR: "1" },
    clearEnv: true,
  }).output();
  return new TextDecoder().decode(r.stdout).trim() + new TextDecoder().decode(r.stderr).trim();
}

Deno.test("deno runner: reads deps, writes outs, nothing else", async () => {
  const p = await makeProject();
  try {
    Deno.writeTextFileSync(`${p.root}/src/stage.ts`, SCRIPT);
    const pl = plan(p, "deno run -A src/stage.ts read data/raw.csv");
    assertEquals(pl.dropped, ["-A"]);
    assertEquals(pl.outParents, [`${p.root}/out`]);
    assert(!pl.argv.includes("-A"));
    assert(pl.argv.includes("--no-prompt"));
    assertStrictEquals(await runPlan(p, "deno run -A src/stage.ts read data/raw.csv"), "a,b\n1,2");
    assertStrictEquals(await runPlan(p, "src/stage.ts read data/other.csv"), "NotCapable");
    assertStrictEquals(await runPlan(p, "src/stage.ts write out/result.txt"), "wrote");
    assertStrictEquals(Deno.readTextFileSync(`${p.root}/out/result.txt`), "written\n");
    assertStrictEquals(await runPlan(p, "src/stage.ts write data/raw.csv"), "NotCapable");
    assertStrictEquals(await runPlan(p, `src/stage.ts write ${p.outside}/x`), "NotCapable");
    assertStrictEquals(
      await runPlan(p, `src/stage.ts write ${p.outside}/x`, { sandbox: { write: [p.outside] } }),
      "wrote",
    );
    assertStrictEquals(await runPlan(p, "src/stage.ts env SECRET_TOKEN"), "NotCapable");
    assertStrictEquals(
      await runPlan(p, "src/stage.ts env SECRET_TOKEN", { sandbox: { env: ["SECRET_TOKEN"] } }),
      "s3cr3t",
    );
    assertStrictEquals(await runPlan(p, "src/stage.ts run"), "NotCapable");
  } finally {
    await p.cleanup();
  }
});

Deno.test("deno runner: network only to granted hosts", async () => {
  const p = await makeProject();
  const srv = startServer();
  try {
    Deno.writeTextFileSync(`${p.root}/src/stage.ts`, SCRIPT);
    const url = `http://127.0.0.1:${srv.port}/`;
    assertStrictEquals(await runPlan(p, `src/stage.ts fetch ${url}`), "NotCapable");
    assertStrictEquals(
      await runPlan(p, `src/stage.ts fetch ${url}`, { sandbox: { net: ["example.org:443"] } }),
      "NotCapable",
    );
    assertStrictEquals(
      await runPlan(p, `src/stage.ts fetch ${url}`, {
        sandbox: { net: [`127.0.0.1:${srv.port}`] },
      }),
      "hello from host",
    );
    assertStrictEquals(
      await runPlan(p, `src/stage.ts fetch ${url}`, { sandbox: { net: true } }),
      "hello from host",
    );
    assertThrows(
      () => plan(p, "src/stage.ts", { sandbox: { net: ["*.example.org"] } }),
      /no wildcards/,
    );
  } finally {
    await srv.close();
    await p.cleanup();
  }
});

Deno.test("deno runner: symlinks inside granted folders do not open a way out", async () => {
  const p = await makeProject();
  try {
    Deno.writeTextFileSync(`${p.root}/src/stage.ts`, SCRIPT);
    // A dep folder whose file is a symlink into the cache (DVC symlink checkout): readable.
    Deno.mkdirSync(`${p.root}/linked`);
    Deno.symlinkSync(`${p.cacheDir}/files/md5/ab/cdef0123`, `${p.root}/linked/data.csv`);
    const deps = ["src/stage.ts", "linked"];
    assertStrictEquals(
      await runPlan(p, "src/stage.ts read linked/data.csv", {}, { deps }),
      "cached",
    );
    assertStrictEquals(
      await runPlan(p, `src/stage.ts read ${p.cacheDir}/files/md5/ab/other`, {}, { deps }),
      "NotCapable",
    );
    // An output folder with a symlink leading outside: refused before running.
    Deno.mkdirSync(`${p.root}/out`, { recursive: true });
    Deno.symlinkSync(p.outside, `${p.root}/out/escape`);
    assertThrows(
      () => plan(p, "src/stage.ts write out/escape/pwned", {}, { outs: ["out"] }),
      (e: unknown) =>
        e instanceof SandboxGrantError && /symlink inside a writable folder/.test(e.message),
    );
    assertThrows(() => plan(p, "src/stage.ts", {}, { outs: [".dvc/cache/x"] }), SandboxGrantError);
    assertThrows(() => plan(p, "python x.py"), /deno runner needs/);
  } finally {
    await p.cleanup();
  }
});
