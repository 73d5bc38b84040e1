import {
  assert,
  assertEquals,
  assertNotStrictEquals,
  assertStrictEquals,
  assertThrows,
} from "../../_rig/assert.ts";
import {
  Linker,
  linkFile,
  LinkUnsupportedError,
  NoLinkTypeError,
  probeLinkType,
} from "../../../lib/cache/link.ts";
import { parseLinkTypes } from "../../../lib/cache/types.ts";

function withDir(fn: (dir: string) => void) {
  return () => {
    const dir = Deno.makeTempDirSync({ prefix: "cairn-link-" });
    try {
      fn(dir);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  };
}

function object(dir: string, text = "obj"): string {
  const p = `${dir}/obj`;
  Deno.writeTextFileSync(p, text);
  Deno.chmodSync(p, 0o444);
  return p;
}

Deno.test(
  "copy: independent writable file, exec bit on request",
  withDir((dir) => {
    const src = object(dir);
    Deno.writeTextFileSync(`${dir}/dst`, "old");
    linkFile(src, `${dir}/dst`, "copy");
    assertStrictEquals(Deno.readTextFileSync(`${dir}/dst`), "obj");
    const st = Deno.statSync(`${dir}/dst`);
    assertNotStrictEquals(st.ino, Deno.statSync(src).ino);
    assert((st.mode! & 0o200) !== 0, "writable");
    linkFile(src, `${dir}/x`, "copy", { isexec: true });
    assert((Deno.statSync(`${dir}/x`).mode! & 0o100) !== 0);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["dst", "obj", "x"]);
  }),
);

Deno.test(
  "hardlink and symlink",
  withDir((dir) => {
    const src = object(dir);
    linkFile(src, `${dir}/h`, "hardlink");
    assertStrictEquals(Deno.statSync(`${dir}/h`).ino, Deno.statSync(src).ino);
    linkFile(src, `${dir}/s`, "symlink");
    assertStrictEquals(Deno.readLinkSync(`${dir}/s`), src);
  }),
);

Deno.test(
  "reflink is unsupported here and falls through to copy",
  withDir((dir) => {
    const src = object(dir);
    assertThrows(() => linkFile(src, `${dir}/r`, "reflink"), LinkUnsupportedError);
    const l = new Linker(["reflink", "copy"]);
    assertStrictEquals(l.link(src, `${dir}/r`), "copy");
    assertStrictEquals(l.current, "copy");
    assertThrows(() => new Linker(["reflink"]).link(src, `${dir}/q`), NoLinkTypeError);
    assertStrictEquals(probeLinkType(`${dir}/c`, dir, ["reflink", "hardlink", "copy"]), "hardlink");
  }),
);

Deno.test(
  "hardlink across filesystems (EXDEV) falls back to copy",
  withDir((dir) => {
    let shm: string;
    try {
      shm = Deno.makeTempDirSync({ dir: "/dev/shm" });
    } catch {
      shm = "";
    }
    if (!shm || Deno.statSync(shm).dev === Deno.statSync(dir).dev) {
      // no second filesystem on this machine (this image has /dev/shm tmpfs)
      return;
    }
    try {
      const src = object(shm);
      const l = new Linker(["hardlink", "copy"]);
      assertStrictEquals(l.link(src, `${dir}/x`), "copy");
      assertStrictEquals(Deno.readTextFileSync(`${dir}/x`), "obj");
    } finally {
      Deno.removeSync(shm, { recursive: true });
    }
  }),
);

Deno.test("parseLinkTypes", () => {
  assertEquals(parseLinkTypes("reflink, copy"), ["reflink", "copy"]);
  assertEquals(parseLinkTypes(["hardlink", "symlink"]), ["hardlink", "symlink"]);
  assertThrows(() => parseLinkTypes("reflink,teleport"));
});
