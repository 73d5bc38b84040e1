import { assertStrictEquals, assertThrows } from "../_rig/assert.ts";
import nodePosix from "node:path/posix";
import { fileURLToPath } from "node:url";
import * as path from "../../lib/path.ts";

/** Paths built from the pieces that make path functions interesting. */
function corpus(): string[] {
  const pieces = ["", "/", "//", "a", "bc", ".", "..", "...", ".a", "a.b", "a/", "/a", "a//b"];
  const out = new Set<string>(pieces);
  for (const x of pieces) for (const y of pieces) out.add(x + y).add(`${x}/${y}`);
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 16) % n;
  };
  for (let i = 0; i < 3000; i++) {
    let p = "";
    for (let k = rand(6); k >= 0; k--) p += pieces[rand(pieces.length)] + (rand(3) ? "/" : "");
    out.add(p);
  }
  return [...out];
}

const PATHS = corpus();

Deno.test("lib/path: one-argument functions equal node:path/posix", () => {
  for (const p of PATHS) {
    for (const fn of ["normalize", "dirname", "basename", "isAbsolute"] as const) {
      assertStrictEquals(path[fn](p), nodePosix[fn](p), `${fn}(${JSON.stringify(p)})`);
    }
    assertStrictEquals(path.resolve(p), nodePosix.resolve(p), `resolve(${JSON.stringify(p)})`);
  }
});

Deno.test("lib/path: join, resolve and relative equal node:path/posix", () => {
  const some = PATHS.filter((_, i) => i % 7 === 0);
  for (const a of some) {
    for (const b of some) {
      const args = JSON.stringify([a, b]);
      assertStrictEquals(path.join(a, b), nodePosix.join(a, b), `join${args}`);
      assertStrictEquals(path.resolve(a, b), nodePosix.resolve(a, b), `resolve${args}`);
      assertStrictEquals(path.relative(a, b), nodePosix.relative(a, b), `relative${args}`);
      assertStrictEquals(path.join(a, b, a), nodePosix.join(a, b, a), `join${args}+a`);
      assertStrictEquals(
        path.resolve("/r", a, b),
        nodePosix.resolve("/r", a, b),
        `resolve /r${args}`,
      );
    }
  }
  assertStrictEquals(path.join(), nodePosix.join());
  assertStrictEquals(path.resolve(), nodePosix.resolve());
  assertStrictEquals(path.posix.join("x", "y"), "x/y");
});

Deno.test("lib/path: fromFileUrl equals node:url's fileURLToPath", () => {
  for (
    const p of ["/", "/a/b", "/with space/ü/☃", "/per%cent", "/q?x#y", "/a/../b", "/semi;colon"]
  ) {
    const url = new URL("file://" + p.split("/").map(encodeURIComponent).join("/"));
    assertStrictEquals(path.fromFileUrl(url), fileURLToPath(url), url.href);
    assertStrictEquals(path.fromFileUrl(url.href), fileURLToPath(url.href), url.href);
  }
  assertStrictEquals(path.fromFileUrl("file://localhost/x"), fileURLToPath("file://localhost/x"));
  for (const bad of ["https://h/x", "file://host/x", "file:///a%2Fb"]) {
    assertThrows(() => path.fromFileUrl(bad), TypeError);
    assertThrows(() => fileURLToPath(bad));
  }
});
