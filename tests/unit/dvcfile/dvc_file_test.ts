import { assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import { DvcFileSyntaxError } from "../../../lib/errors.ts";
import {
  computeStageMd5,
  dvcFileData,
  formatDvcFile,
  loadDvcFile,
  parseDvcFile,
  saveDvcFile,
} from "../../../lib/dvcfile/dvc_file.ts";
import { emitYaml } from "../../../lib/py/yaml_emit.ts";
import type { Stage } from "../../../lib/stage/types.ts";

function addStage(file: string, path: string, md5: string, size: number, nfiles?: number): Stage {
  return {
    name: file,
    kind: "dvcfile",
    file,
    wdir: file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "",
    deps: [],
    params: [],
    outs: [{
      path,
      kind: "out",
      cache: true,
      persist: false,
      push: true,
      hash: nfiles === undefined
        ? { md5, size, hashName: "md5" }
        : { md5, size, nfiles, hashName: "md5" },
    }],
    frozen: false,
    alwaysChanged: false,
  };
}

Deno.test(".dvc: dvc add output (file and directory)", () => {
  assertEquals(
    formatDvcFile(addStage("foo.dvc", "foo", "acbd18db4cc2f85cedef654fccc4a4d8", 3)),
    "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n",
  );
  assertEquals(
    formatDvcFile(
      addStage("data/mydir.dvc", "mydir", "a588723f6df101b2b78ea778d8aefae2.dir", 12, 2),
    ),
    "outs:\n- md5: a588723f6df101b2b78ea778d8aefae2.dir\n  size: 12\n  nfiles: 2\n  hash: md5\n  path: mydir\n",
  );
});

Deno.test(".dvc: DVC 2.x entries (no hash) and unknown keys are kept as they are", () => {
  const text =
    "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 3\n  path: foo\n  cloud:\n    r:\n      etag: x\n";
  const st = parseDvcFile(text, "foo.dvc");
  assertEquals(st.outs[0].hash, { md5: "0123456789abcdef0123456789abcdef", size: 3 });
  assertEquals(
    formatDvcFile(st),
    "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 3\n  cloud:\n    r:\n      etag: x\n  path: foo\n",
  );
  // updating an existing file keeps its key order (apply_diff)
  assertEquals(formatDvcFile(st, text), text);
});

Deno.test(".dvc: annotations, flags, meta, frozen, desc; re-add updates in place", () => {
  const text = `desc: top desc
outs:
- md5: acbd18db4cc2f85cedef654fccc4a4d8
  size: 3
  hash: md5
  path: foo
  desc: the foo
  type: model
  labels:
  - a
  cache: false
  persist: true
  remote: store
  push: false
meta:
  owner: me
`;
  const st = parseDvcFile(text, "foo.dvc");
  assertEquals(st.outs[0].remote, "store");
  assertEquals([st.outs[0].cache, st.outs[0].persist, st.outs[0].push], [false, true, false]);
  assertEquals(formatDvcFile(st), text);
  st.outs[0].hash = { md5: "37b51d194a7513e45b56f6524f2d51f2", size: 3, hashName: "md5" };
  assertEquals(
    formatDvcFile(st, text),
    text.replace("acbd18db4cc2f85cedef654fccc4a4d8", "37b51d194a7513e45b56f6524f2d51f2"),
  );
});

Deno.test(".dvc: stage md5 of an import (upstream test vector) and repo imports", () => {
  const text = `md5: 8fc199641730e3f512deac0bd9a0e0b6
frozen: true
deps:
- md5: acbd18db4cc2f85cedef654fccc4a4d8
  size: 3
  hash: md5
  path: foo
outs:
- md5: acbd18db4cc2f85cedef654fccc4a4d8
  size: 3
  hash: md5
  path: bar
`;
  const st = parseDvcFile(text, "bar.dvc");
  assertEquals(st.frozen, true);
  assertEquals(computeStageMd5(st), "8fc199641730e3f512deac0bd9a0e0b6");
  assertEquals(formatDvcFile(st), text);
  const repo = `md5: e6e2d1bc1b7bd1a4c4c4c8f8a3e1b0a1
frozen: true
deps:
- path: data/data.xml
  repo:
    url: https://github.com/iterative/dataset-registry
    rev_lock: f31f5c4cdae787b4bdeb97a717687d44667d9e62
outs:
- md5: 22a1a2931c8370d3aeedd7183606fd7f
  size: 14445097
  hash: md5
  path: data.xml
`;
  const r = parseDvcFile(repo, "data.xml.dvc");
  assertEquals(r.deps[0].repo, {
    url: "https://github.com/iterative/dataset-registry",
    revLock: "f31f5c4cdae787b4bdeb97a717687d44667d9e62",
  });
  assertEquals(emitYaml(dvcFileData(r)), repo);
  assertEquals(computeStageMd5(addStage("foo.dvc", "foo", "x", 1)), undefined);
});

Deno.test(".dvc: legacy single-stage file with cmd, deps, wdir, locked", () => {
  const text =
    "md5: abc\ncmd: python run.py\nwdir: ..\nlocked: true\ndeps:\n- md5: 1\n  path: run.py\nouts:\n- md5: 2\n  path: out\n";
  const st = parseDvcFile(text, "sub/out.dvc");
  assertEquals(st.cmd, "python run.py");
  assertEquals(st.wdir, "");
  assertEquals(st.frozen, true);
  assertEquals(st.deps[0].hash?.md5, "1");
  assertEquals(
    emitYaml(dvcFileData(st)),
    "md5: abc\ncmd: python run.py\nwdir: ..\nfrozen: true\ndeps:\n- md5: '1'\n  path: run.py\nouts:\n- md5: '2'\n  path: out\n",
  );
  assertEquals(typeof computeStageMd5(st), "string");
});

Deno.test(".dvc: save/load round trip on disk (atomic write)", () => {
  const root = Deno.makeTempDirSync();
  const st = addStage("d/x.csv.dvc", "x.csv", "acbd18db4cc2f85cedef654fccc4a4d8", 3);
  Deno.mkdirSync(`${root}/d`);
  saveDvcFile(root, st);
  const back = loadDvcFile(root, "d/x.csv.dvc");
  assertEquals(back.outs[0].hash, st.outs[0].hash);
  assertEquals(back.wdir, "d");
  Deno.removeSync(root, { recursive: true });
});

Deno.test(".dvc: schema errors name file, line and column", () => {
  assertThrows(() => parseDvcFile("outs:\n- md5: x\n  pth: foo\n", "a.dvc"), DvcFileSyntaxError);
  try {
    parseDvcFile("outs:\n- md5: x\n  pth: foo\n", "a.dvc");
  } catch (err) {
    const x = err as DvcFileSyntaxError;
    assertEquals([x.path, x.line, x.column], ["a.dvc", 3, 3]);
    assertMatch(x.message, /extra key 'pth'/);
  }
  try {
    parseDvcFile("outz: []\n", "b.dvc");
  } catch (err) {
    assertMatch((err as Error).message, /b\.dvc:1:1: extra key 'outz'/);
  }
  try {
    parseDvcFile("outs:\n- size: 3\n", "c.dvc");
  } catch (err) {
    assertMatch((err as Error).message, /c\.dvc:2:3: required key 'path'/);
  }
});
