/**
 * `meta: {sandbox: {devices: [gpu]}}` under both backends, with stand-in
 * device nodes (character devices 1:3, what /dev/null is) named like NVIDIA
 * and DRM nodes in a test /dev root (CAIRN_DEV_ROOT). Needs root for mknod
 * (CI runs as root).
 */
import { assert, assertEquals, assertMatch, assertStrictEquals } from "../../_rig/assert.ts";
import { runSandboxed } from "../../../lib/sandbox/run_sandboxed.ts";
import { deviceNodes } from "../../../lib/sandbox/landlock.ts";
import { hostEnv, makeProject } from "./_fixture.ts";

function mknod(path: string): void {
  const r = new Deno.Command("mknod", { args: ["-m", "666", path, "c", "1", "3"] }).outputSync();
  assert(r.success, `mknod ${path}: ${new TextDecoder().decode(r.stderr)}`);
}

function standInDev(): string {
  const dev = Deno.makeTempDirSync({ dir: "/var/tmp", prefix: "cairn-dev-" });
  mknod(`${dev}/nvidia0`);
  mknod(`${dev}/nvidiactl`);
  Deno.mkdirSync(`${dev}/dri`);
  mknod(`${dev}/dri/renderD128`);
  Deno.writeTextFileSync(`${dev}/tty0`, ""); // not a GPU node: never granted
  return dev;
}

Deno.test("devices: gpu finds nvidia* and dri under the dev root", () => {
  const dev = standInDev();
  try {
    assertEquals(deviceNodes(["gpu"], dev), [`${dev}/dri`, `${dev}/nvidia0`, `${dev}/nvidiactl`]);
    assertEquals(deviceNodes([], dev), []);
  } finally {
    Deno.removeSync(dev, { recursive: true });
  }
});

for (const backend of ["bwrap", "landlock"] as const) {
  for (const policy of ["on", "hermetic"] as const) {
    Deno.test(`devices (${backend}, ${policy}): GPU nodes usable only when granted; CUDA_VISIBLE_DEVICES passed`, async () => {
      const dev = standInDev();
      const p = await makeProject();
      const prev = Deno.env.get("CAIRN_DEV_ROOT");
      Deno.env.set("CAIRN_DEV_ROOT", dev);
      try {
        const cmd = `echo x > ${dev}/nvidia0 && echo y > ${dev}/dri/renderD128 && ` +
          `head -c 0 ${dev}/nvidiactl && echo "cuda=$CUDA_VISIBLE_DEVICES" > data/gpu.txt`;
        const env = { ...hostEnv(), CUDA_VISIBLE_DEVICES: "0,1", NVIDIA_VISIBLE_DEVICES: "all" };
        const run = (grants?: { devices: "gpu"[] }) =>
          runSandboxed(cmd, {
            cwd: p.root,
            env,
            policy,
            grants: { net: [], env: [], read: [], write: [], ...grants },
            deps: [],
            outs: ["data/gpu.txt"],
            repoRoot: p.root,
            cacheDir: p.cacheDir,
            backend,
          });
        const no = await run();
        assertEquals(no.backend, backend);
        assertStrictEquals(no.ok, false);
        assert(no.exitCode !== 0, "device write refused without the grant");
        assertMatch(no.stderrTail, /nvidia0/);
        const yes = await run({ devices: ["gpu"] });
        assertEquals(yes.exitCode, 0, yes.stderrTail);
        assertStrictEquals(yes.ok, true, JSON.stringify(yes.violations));
        assertEquals(Deno.readTextFileSync(`${p.root}/data/gpu.txt`), "cuda=0,1\n");
      } finally {
        if (prev === undefined) Deno.env.delete("CAIRN_DEV_ROOT");
        else Deno.env.set("CAIRN_DEV_ROOT", prev);
        await p.cleanup();
        Deno.removeSync(dev, { recursive: true });
      }
    });
  }
}
