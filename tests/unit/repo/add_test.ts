/** lib/repo/add.ts called directly: what lands in the cache, the .dvc file and .gitignore. */
import { assert, assertEquals, assertMatch, assertRejects } from "../../_rig/assert.ts";
import { add, expandGlobs } from "../../../lib/repo/add.ts";
import { CairnError } from "../../../lib/errors.ts";
import { md5Of, withRepo } from "./_repo.ts";

Deno.test("add: a file goes into the cache read-only, with a .dvc file and a .gitignore entry", () =>
  withRepo(async (t) => {
    t.write({ "data.csv": "a,b\n1,2\n" });
    const r = await add(t.open(), ["data.csv"]);
    const md5 = md5Of("a,b\n1,2\n");
    assertEquals(r.added, [{
      path: "data.csv",
      dvcFile: "data.csv.dvc",
      hash: r.added[0].hash,
      kind: "file",
    }]);
    assertEquals(r.added[0].hash.md5, md5);
    assertEquals(t.objects(), [md5]);
    const obj = `${t.dir}/.dvc/cache/files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`;
    assertEquals(Deno.statSync(obj).mode! & 0o777, 0o444);
    assertEquals(
      t.read("data.csv.dvc"),
      `outs:\n- md5: ${md5}\n  size: 8\n  hash: md5\n  path: data.csv\n`,
    );
    assertEquals(t.read(".gitignore"), "/data.csv\n");
    assertEquals(r.gitFiles.sort(), [`${t.dir}/.gitignore`, `${t.dir}/data.csv.dvc`]);
    assertEquals(t.read("data.csv"), "a,b\n1,2\n", "the workspace keeps the data");
  }));

Deno.test("add: a directory is one .dir listing plus its files", () =>
  withRepo(async (t) => {
    t.write({ "images/a.txt": "a\n", "images/sub/b.txt": "b\n" });
    const r = await add(t.open(), ["images"]);
    const h = r.added[0].hash;
    assertEquals(r.added[0].kind, "dir");
    assert(h.md5.endsWith(".dir"), h.md5);
    assertEquals(h.nfiles, 2);
    assertEquals(h.size, 4);
    const listing = JSON.parse(
      Deno.readTextFileSync(`${t.dir}/.dvc/cache/files/md5/${h.md5.slice(0, 2)}/${h.md5.slice(2)}`),
    );
    assertEquals(listing, [
      { md5: md5Of("a\n"), relpath: "a.txt" },
      { md5: md5Of("b\n"), relpath: "sub/b.txt" },
    ]);
    assertEquals(t.objects(), [md5Of("a\n"), md5Of("b\n"), h.md5].sort());
  }));

Deno.test("add: --no-commit records the hash but stores nothing; re-add after a change", () =>
  withRepo(async (t) => {
    t.write({ "f.txt": "one\n" });
    const r1 = await add(t.open(), ["f.txt"], { noCommit: true });
    assertEquals(r1.added[0].hash.md5, md5Of("one\n"));
    assertEquals(t.objects(), []);
    t.write({ "f.txt": "two\n" });
    const r2 = await add(t.open(), ["f.txt"]);
    assertEquals(r2.added[0].hash.md5, md5Of("two\n"));
    assertEquals(t.objects(), [md5Of("two\n")]);
    assertMatch(t.read("f.txt.dvc"), new RegExp(`md5: ${md5Of("two\n")}`));
  }));

Deno.test("add: globs expand relative to cwd; -o puts the data at another path", () =>
  withRepo(async (t) => {
    t.write({ "raw/x1.csv": "1\n", "raw/x2.csv": "2\n", "raw/y.txt": "y\n", "ext/src.bin": "s\n" });
    assertEquals(expandGlobs(t.dir, ["raw/x*.csv"]).sort(), ["raw/x1.csv", "raw/x2.csv"]);
    const r = await add(t.open(), ["raw/x*.csv"], { glob: true });
    assertEquals(r.added.map((a) => a.dvcFile).sort(), ["raw/x1.csv.dvc", "raw/x2.csv.dvc"]);
    assert(!t.exists("raw/y.txt.dvc"));
    const o = await add(t.open(), ["ext/src.bin"], { out: "copied.bin" });
    assertEquals(o.added[0].path, "copied.bin");
    assertEquals(t.read("copied.bin"), "s\n");
  }));

Deno.test("add: refuses a missing target, a git-tracked file, .dvc, an overlap; writes nothing for them", () =>
  withRepo(async (t) => {
    await assertRejects(() => add(t.open(), ["nope.txt"]), CairnError, /'nope.txt' does not exist/);
    t.write({ "tracked.txt": "t\n" });
    t.commitAll("tracked");
    await assertRejects(
      () => add(t.open(), ["tracked.txt"]),
      CairnError,
      /output 'tracked.txt' is already tracked by SCM/,
    );
    await assertRejects(
      () => add(t.open(), [".dvc"]),
      CairnError,
      /repository itself or its metadata/,
    );
    t.write({ "d/inner.txt": "i\n" });
    await add(t.open(), ["d"]);
    await assertRejects(
      () => add(t.open(), ["d/inner.txt"]),
      CairnError,
      /overlapping with other DVC tracked output: 'd'/,
    );
    assertEquals(t.objects().length, 2, "only d's listing and file");
    assert(
      !t.exists("tracked.txt.dvc") && !t.exists("nope.txt.dvc") && !t.exists("d/inner.txt.dvc"),
    );
  }));
