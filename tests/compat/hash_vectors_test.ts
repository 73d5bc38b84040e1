/**
 * Every vector of fixtures/dvc3/hash_vectors (written by real DVC 3.64) must
 * give the same md5/size/nfiles/isexec and byte-identical `.dir` objects.
 */
import { assertRejects, assertStrictEquals } from "../_rig/assert.ts";
import { decodeBase64 } from "../../lib/hash/_base64.ts";
import { DvcIgnore, DvcIgnoreInCollectedDirError } from "../../lib/fs/dvcignore.ts";
import { hashPath } from "../../lib/hash/hash_path.ts";
import { md5File } from "../../lib/hash/md5.ts";

const FIXTURE = new URL(
  "../fixtures/dvc3/hash_vectors/hash_vectors.json",
  import.meta.url,
);

interface Input {
  base64?: string;
  recipe?: string;
  size: number;
  mode?: string;
}
interface Vector {
  target: string;
  kind: "file" | "dir";
  md5: string;
  size: number;
  nfiles?: number;
  isexec?: boolean;
  inputs: Record<string, Input>;
  empty_dirs?: string[];
  dir_object?: string;
}

const data = JSON.parse(Deno.readTextFileSync(FIXTURE)) as {
  repo_dvcignore: string;
  vectors: Vector[];
};

function content(inp: Input): Uint8Array {
  if (inp.base64 !== undefined) return decodeBase64(inp.base64);
  assertStrictEquals(inp.recipe, "byte[i] = i % 251");
  const out = new Uint8Array(inp.size);
  for (let i = 0; i < inp.size; i++) out[i] = i % 251;
  return out;
}

function materialize(root: string): void {
  Deno.writeTextFileSync(`${root}/.dvcignore`, data.repo_dvcignore);
  for (const v of data.vectors) {
    for (const d of v.empty_dirs ?? []) {
      Deno.mkdirSync(`${root}/${d}`, { recursive: true });
    }
    for (const [path, inp] of Object.entries(v.inputs)) {
      const full = `${root}/${path}`;
      Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
      Deno.writeFileSync(full, content(inp));
      Deno.chmodSync(full, inp.mode ? parseInt(inp.mode.slice(2), 8) : 0o644);
    }
  }
}

const root = Deno.makeTempDirSync({ prefix: "cairn-hashvec-" });
materialize(root);
const ignore = new DvcIgnore(root);

for (const v of data.vectors) {
  Deno.test(`hash vector ${v.target}`, async () => {
    const r = await hashPath(`${root}/${v.target}`, { ignore });
    assertStrictEquals(r.kind, v.kind);
    assertStrictEquals(r.hash.md5, v.md5);
    assertStrictEquals(r.hash.size, v.size);
    assertStrictEquals(r.hash.hashName, "md5");
    assertStrictEquals(r.hash.nfiles, v.nfiles);
    assertStrictEquals(r.hash.isexec, v.isexec);
    if (r.kind === "dir") {
      assertStrictEquals(new TextDecoder().decode(r.dirObject.bytes), v.dir_object);
      // Every file object named in the listing is what md5File computes.
      for (const e of r.entries) {
        assertStrictEquals(md5File(`${root}/${v.target}/${e.relpath}`), e.md5);
      }
    }
  });
}

Deno.test("hash vectors: parallel path gives the same answers", async () => {
  for (const v of data.vectors.filter((v) => v.kind === "dir")) {
    const r = await hashPath(`${root}/${v.target}`, {
      ignore,
      parallelMinFiles: 1,
      parallelMinBytes: 0,
    });
    assertStrictEquals(r.hash.md5, v.md5, v.target);
  }
});

Deno.test("a directory containing a .dvcignore is refused (exit 255)", async () => {
  const bad = `${root}/bad/with_dvcignore`;
  Deno.mkdirSync(bad, { recursive: true });
  Deno.writeTextFileSync(`${bad}/.dvcignore`, "x\n");
  Deno.writeTextFileSync(`${bad}/f`, "f");
  await assertRejects(
    () => hashPath(bad, { ignore }),
    (e: unknown) =>
      e instanceof DvcIgnoreInCollectedDirError && e.exitCode === 255 &&
      e.message ===
        `.dvcignore file should not be in collected dir path: '${bad}'`,
  );
});

globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(root, { recursive: true });
  } catch { /* best effort */ }
});
