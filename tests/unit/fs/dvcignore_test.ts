import { assert, assertEquals } from "../../_rig/assert.ts";
import { DvcIgnore, isBuiltinIgnored } from "../../../lib/fs/dvcignore.ts";
import { walkFiles } from "../../../lib/fs/walk.ts";

function tree(files: Record<string, string>): string {
  const root = Deno.makeTempDirSync({ prefix: "cairn-ign-" });
  for (const [p, c] of Object.entries(files)) {
    const full = `${root}/${p}`;
    Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(full, c);
  }
  return root;
}

Deno.test("built-ins: .git anywhere, .hg/ and .dvc/ directories", () => {
  assert(isBuiltinIgnored(".git", false));
  assert(isBuiltinIgnored(".git", true));
  assert(isBuiltinIgnored(".dvc", true));
  assert(!isBuiltinIgnored(".dvc", false));
  assert(isBuiltinIgnored(".hg", true));
  assert(!isBuiltinIgnored(".gitignore", false));
});

Deno.test("nested .dvcignore files: deeper rules win, anchored patterns", () => {
  const root = tree({
    ".dvcignore": "# comment\n*.tmp\n/data/secret/\n",
    "data/a.tmp": "",
    "data/keep.txt": "",
    "data/secret/x": "",
    "data/sub/.dvcignore": "!keep.tmp\nlocal_only\n",
    "data/sub/keep.tmp": "",
    "data/sub/other.tmp": "",
    "data/sub/local_only": "",
    "data/sub/.git/HEAD": "",
    "data/sub/.dvc/config": "",
    "other/secret/y": "",
    "Upper.TMP": "",
  });
  try {
    const ig = new DvcIgnore(root);
    assert(ig.isIgnored(`${root}/data/a.tmp`, false));
    assert(!ig.isIgnored(`${root}/data/keep.txt`, false));
    assert(ig.isIgnored(`${root}/data/secret`, true));
    assert(ig.isIgnored(`${root}/data/secret/x`, false));
    assert(!ig.isIgnored(`${root}/other/secret/y`, false));
    assert(!ig.isIgnored(`${root}/data/sub/keep.tmp`, false));
    assert(ig.isIgnored(`${root}/data/sub/other.tmp`, false));
    assert(!ig.isIgnored(`${root}/Upper.TMP`, false), "case-sensitive");
    assert(ig.isIgnored(`${root}/data/sub/.git/HEAD`, false));
    const rels = walkFiles(`${root}/data`, { ignore: ig }).files.map((f) => f.rel)
      .sort();
    assertEquals(rels, ["keep.txt", "sub/.dvcignore", "sub/keep.tmp"]);
    const w = walkFiles(`${root}/data`, { ignore: ig });
    assertEquals(w.dvcignoreFiles, ["sub/.dvcignore"]);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
