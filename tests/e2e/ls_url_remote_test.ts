/**
 * `ls-url` of remote URLs (issue 15) against the real servers on 127.0.0.1:
 * S3 (moto), SSH (sshd), WebDAV (nginx), through the built-in remote plugins
 * with their manifests' grants (the real `scripts/cairn`, a subprocess).
 * The expected listings are what DVC 3.64's `ls_url` gives for the same tree
 * on a local disk (checked with the real DVC; its S3/SSH/WebDAV filesystems
 * are not installed here), in key order since object stores list sorted.
 */
import "../../plugins/builtin.ts";
import { join } from "node:path";
import { assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, git, makeRepo, removeDir } from "../_rig/rig.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import { naturalSize } from "../../lib/repo/du.ts";
import {
  readServicesEnv,
  type RemoteCase,
  remoteCase,
  type RemoteKind,
  testOptions,
} from "../plugins/_remotes.ts";

const TREE: [string, string][] = [
  ["a.txt", "a\n"],
  ["b.txt", "bb\n"],
  ["sub/c.txt", "c\n"],
  ["sub/deep/d.txt", "d\n"],
  ["z/e.txt", "e\n"],
];

/** `--fs-config` pairs carrying the case's credentials, as a user passes them. */
function fsConfig(c: RemoteCase): string[] {
  const { url: _url, ...rest } = c.config;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? ["--fs-config", ...pairs] : [];
}

async function upload(c: RemoteCase): Promise<void> {
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-lsurl-put-" });
  try {
    const remote = await openRemote(c.config, { name: "t", cacheDir: tmp });
    try {
      for (const [key, text] of TREE) await remote.writeBytes(key, new TextEncoder().encode(text));
    } finally {
      await remote.close();
    }
  } finally {
    removeDir(tmp);
  }
}

const env = readServicesEnv();
for (const kind of ["s3", "ssh", "webdav"] as RemoteKind[]) {
  const c = remoteCase(kind, env);
  Deno.test({
    name: `ls-url ${kind}://: a folder, -R, --level, --json, a file, a missing path`,
    ...testOptions(c),
    async fn() {
      await upload(c);
      // a folder with nothing in it: SSH and WebDAV have folders, S3 has only keys
      if (c.localRoot) Deno.mkdirSync(join(c.localRoot, "sub", "empty"));
      const empty = c.localRoot ? "empty\n" : "";
      const cwd = Deno.makeTempDirSync({ prefix: "cairn-lsurl-" });
      try {
        const url = c.config.url;
        const ls = (...args: string[]) => {
          const r = cairn(["ls-url", ...args, ...fsConfig(c)], { cwd, subprocess: true });
          if (r.code !== 0) throw new Error(`ls-url ${args.join(" ")}: ${r.code}\n${r.stderr}`);
          return r.stdout;
        };
        assertEquals(ls(url), "a.txt\nb.txt\nsub\nz\n");
        assertEquals(ls(`${url}/`), "a.txt\nb.txt\nsub\nz\n");
        assertEquals(ls("-R", url), "a.txt\nb.txt\nsub/c.txt\nsub/deep/d.txt\nz/e.txt\n");
        assertEquals(ls("-R", "-L", "1", url), "a.txt\nb.txt\nsub\nz\n");
        assertEquals(
          ls("-R", "-L", "2", url),
          `a.txt\nb.txt\nsub/c.txt\nsub/deep\n${empty ? "sub/empty\n" : ""}z/e.txt\n`,
        );
        assertEquals(ls("-L", "2", url), "a.txt\nb.txt\nsub\nz\n");
        const alias = cairn(["list-url", `${url}/sub`, ...fsConfig(c)], { cwd, subprocess: true });
        assertEquals([alias.code, alias.stdout], [0, `c.txt\ndeep\n${empty}`]);
        // sizes from the listing itself (S3's Size, SFTP's attrs, WebDAV's getcontentlength)
        assertEquals(
          ls("-R", "--size", url),
          "2  a.txt\n3  b.txt\n2  sub/c.txt\n2  sub/deep/d.txt\n2  z/e.txt\n",
        );
        assertEquals(JSON.parse(ls("--json", "-R", "-L", "2", `${url}/sub`)), [
          { path: "c.txt", isdir: false, size: 2 },
          { path: "deep/d.txt", isdir: false, size: 2 },
        ]);
        assertEquals(JSON.parse(ls("--json", `${url}/sub`)), [
          { path: "c.txt", isdir: false, size: 2 },
          { path: "deep", isdir: true },
          ...(empty ? [{ path: "empty", isdir: true }] : []),
        ]);
        // -T: DVC's show_tree, the root named by its filesystem path
        const u0 = new URL(url);
        const rootName = kind === "s3"
          ? `${u0.host}${u0.pathname}`
          : kind === "ssh"
          ? u0.pathname
          : u0.pathname.slice(1);
        assertEquals(
          ls("-T", "--size", `${url}/sub`),
          empty
            ? `   ${rootName}/sub\n2  ├── c.txt\n   ├── deep\n2  │   └── d.txt\n   └── empty\n`
            : `   ${rootName}/sub\n2  ├── c.txt\n   └── deep\n2      └── d.txt\n`,
        );
        assertEquals(
          ls("-T", "-L", "1", url),
          `${rootName}\n├── a.txt\n├── b.txt\n├── sub\n└── z\n`,
        );
        // a file: DVC names it by its path on the filesystem, without the scheme
        const u = new URL(url);
        const fsPath = kind === "s3"
          ? `${u.host}${u.pathname}`
          : kind === "ssh"
          ? u.pathname
          : u.pathname.slice(1);
        assertEquals(ls(`${url}/sub/c.txt`), `${fsPath}/sub/c.txt\n`);
        assertEquals(ls("-L", "0", url), `${fsPath}\n`);
        const missing = cairn(["ls-url", `${url}/nope`, ...fsConfig(c)], {
          cwd,
          subprocess: true,
        });
        assertEquals(missing.code, 255);
        assertEquals(missing.stdout, "");
        assertMatch(
          missing.stderr,
          new RegExp(
            `^ERROR: The path '${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/nope' does not exist`,
          ),
        );
      } finally {
        removeDir(cwd);
        if (c.localRoot) removeDir(c.localRoot);
      }
    },
  });
}

Deno.test("ls-url -T of a local folder is DVC 3.64's tree byte for byte", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-lsurl-" });
  try {
    for (const [key, text] of TREE) {
      Deno.mkdirSync(join(dir, "d", key, ".."), { recursive: true });
      Deno.writeTextFileSync(join(dir, "d", key), text);
    }
    Deno.mkdirSync(join(dir, "d/sub/empty"));
    const ls = (...args: string[]) => cairnOk(["ls-url", ...args], { cwd: dir }).stdout;
    // recorded from `dvc ls-url -T d` / `-T --size -L 1 d` on the same tree
    assertEquals(
      ls("-T", "d"),
      "d\n├── a.txt\n├── b.txt\n├── sub\n│   ├── c.txt\n│   ├── deep\n│   │   └── d.txt\n" +
        "│   └── empty\n└── z\n    └── e.txt\n",
    );
    // folders show their st_size (4096 on ext4, which is what DVC printed: 4.00k)
    const sz = (p: string) => naturalSize(Deno.statSync(join(dir, p)).size);
    const sizes = [sz("d"), "2", "3", sz("d/sub"), sz("d/z")];
    const w = Math.max(...sizes.map((x) => x.length));
    const names = ["d", "├── a.txt", "├── b.txt", "├── sub", "└── z"];
    assertEquals(
      ls("-T", "--size", "-L", "1", "d"),
      names.map((n, i) => `${sizes[i].padStart(w)}  ${n}\n`).join(""),
    );
    assertEquals(ls("-T", "d/a.txt"), "d/a.txt\n");
    // argparse's type=int: a usage error (254) naming the flag
    const bad = cairn(["ls-url", "-L", "x", "d"], { cwd: dir });
    assertEquals(bad.code, 254);
    assertMatch(bad.stderr, /argument -L\/--level: invalid int value: 'x'/);
    const gone = cairn(["ls-url", "-T", "nope"], { cwd: dir });
    assertEquals([gone.code, gone.stderr], [
      255,
      `ERROR: unexpected error - [Errno 2] No such file or directory: '${join(dir, "nope")}'\n`,
    ]);
  } finally {
    removeDir(dir);
  }
});

Deno.test("Remote.listEntries falls back to list() for a plugin without it (local)", async () => {
  const c = remoteCase("local");
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-lsurl-" });
  try {
    await upload(c);
    const remote = await openRemote(c.config, { name: "t", cacheDir: tmp });
    try {
      const got = (await remote.listEntries("sub/")).sort((a, b) => a.key < b.key ? -1 : 1);
      assertEquals(got, [{ key: "sub/c.txt" }, { key: "sub/deep/d.txt" }]);
    } finally {
      await remote.close();
    }
  } finally {
    removeDir(tmp);
    removeDir(join(c.localRoot!, ".."));
  }
});

Deno.test({
  name: "ls-url http://: a URL that answers is one file; a 404 is DVC's missing path (255)",
  ...testOptions(remoteCase("webdav", env)),
  fn() {
    const root = env.CAIRN_TEST_HTTP_ROOT;
    const name = `lsurl-${crypto.randomUUID().slice(0, 8)}.txt`;
    Deno.writeTextFileSync(join(root, name), "hi\n");
    const cwd = Deno.makeTempDirSync({ prefix: "cairn-lsurl-" });
    try {
      const url = `${env.CAIRN_TEST_HTTP_URL}/${name}`;
      const ok = cairn(["ls-url", "--size", url], { cwd, subprocess: true });
      assertEquals([ok.code, ok.stdout], [0, `  ${url}\n`]);
      const gone = cairn(["ls-url", `${url}.nope`], { cwd, subprocess: true });
      assertEquals(gone.code, 255);
      // DVC 3.64's text for the same request
      assertEquals(
        gone.stderr,
        `ERROR: The path '${url}.nope' does not exist: ${url}.nope: 404, ` +
          `message='Not Found', url='${url}.nope'\n`,
      );
    } finally {
      removeDir(cwd);
      Deno.removeSync(join(root, name));
    }
  },
});

Deno.test("du of a git URL clones it as ls does; sizes as DVC 3.64 printed for the same repo", () => {
  const dir = makeRepo();
  const cwd = Deno.makeTempDirSync({ prefix: "cairn-du-url-" });
  try {
    Deno.mkdirSync(join(dir, "data/sub"), { recursive: true });
    Deno.writeTextFileSync(join(dir, "data/a.txt"), "hello\n");
    Deno.writeFileSync(join(dir, "data/sub/b.bin"), new Uint8Array(3000));
    Deno.writeTextFileSync(join(dir, "README"), "x\n");
    cairnOk(["add", "-q", "data"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "data"], dir);
    const url = `file://${dir}`;
    // DVC 3.64 (`dvc du file:///...` of the same tree): README, data, .gitignore in set order
    const rows = cairnOk(["du", url], { cwd }).stdout.split("\n");
    assertEquals(
      rows.slice(0, -2).sort(),
      ["2      README", "2.94k  data", "6      .gitignore"].sort(),
    );
    assertEquals(rows.slice(-2), ["2.94k", ""]);
    assertEquals(cairnOk(["du", "-s", url], { cwd }).stdout, "2.94k\n");
    // a revision of the URL: the first commit has only DVC's metafiles (hidden)
    const first = git(["rev-list", "--max-parents=0", "HEAD"], dir).trim();
    assertEquals(cairnOk(["du", "-s", "--rev", first, url], { cwd }).stdout, "0\n");
    assertEquals(cairn(["du", url, "nope"], { cwd }).code, 255);
  } finally {
    removeDir(dir);
    removeDir(cwd);
  }
});
