/** e2e (no browser): plots templates, modify, --json, --show-vega, bad input. */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, git, makeRepo, readText, removeDir, writeFiles } from "../_rig/rig.ts";

function project(): string {
  const dir = makeRepo();
  writeFiles(dir, {
    "dvc.yaml":
      "stages:\n  eval:\n    cmd: python eval.py\n    plots:\n    - prc.csv:\n        cache: false\n",
    "prc.csv": "threshold,precision,recall\n0.1,0.5,0.9\n0.5,0.7,0.6\n0.9,0.9,0.2\n",
    "d.csv": "a,b\n1,2\n3,4\n",
  });
  git(["add", "-A"], dir);
  git(["commit", "-qm", "v1"], dir);
  return dir;
}

Deno.test("plots templates: names in DVC's order; one template's JSON; unknown one lists them", () => {
  const dir = project();
  try {
    assertEquals(
      cairnOk(["plots", "templates"], { cwd: dir }).stdout,
      "simple\nlinear\nconfusion\nconfusion_normalized\nscatter\nscatter_jitter\nsmooth\nbar_horizontal_sorted\nbar_horizontal\n",
    );
    const t = JSON.parse(cairnOk(["plots", "templates", "confusion"], { cwd: dir }).stdout);
    assertEquals(t.data, { values: "<DVC_METRIC_DATA>" });
    const bad = cairn(["plots", "templates", "nope"], { cwd: dir });
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /Unexpected template: nope\.[\s\S]*simple, linear/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots modify: props written into dvc.yaml, used by show; --unset; unknown prop", () => {
  const dir = project();
  try {
    cairnOk([
      "plots",
      "modify",
      "prc.csv",
      "-x",
      "recall",
      "-y",
      "precision",
      "-t",
      "simple",
      "--title",
      "PR",
    ], {
      cwd: dir,
      subprocess: true,
    });
    assertEquals(
      readText(dir, "dvc.yaml"),
      "stages:\n  eval:\n    cmd: python eval.py\n    plots:\n    - prc.csv:\n        cache: false\n" +
        "        template: simple\n        x: recall\n        y: precision\n        title: PR\n",
    );
    const j = JSON.parse(
      cairnOk(["plots", "show", "--json"], { cwd: dir, subprocess: true }).stdout,
    );
    const spec = j.data["prc.csv"][0].content;
    assertEquals(spec.title.text, "PR");
    assertEquals(spec.encoding.x.field, "recall");
    assertEquals(spec.mark.type, "line");
    cairnOk(["plots", "modify", "prc.csv", "--unset", "title", "template"], {
      cwd: dir,
      subprocess: true,
    });
    assertMatch(
      readText(dir, "dvc.yaml"),
      /cache: false\n {8}x: recall\n {8}y: precision\n$/,
    );
    const bad = cairn(["plots", "modify", "prc.csv", "--unset", "nope"], {
      cwd: dir,
      subprocess: true,
    });
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /display properties \['nope'\] not found/);
    const badT = cairn(["plots", "modify", "prc.csv", "-t", "nosuch"], {
      cwd: dir,
      subprocess: true,
    });
    assertEquals(badT.code, 1);
    assertMatch(badT.stderr, /Template 'nosuch' not found[\s\S]*built-in templates: simple/);
    const notOut = cairn(["plots", "modify", "d.csv", "-x", "a"], { cwd: dir, subprocess: true });
    assertEquals(notOut.code, 1);
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots show: targets with -x/-y, --show-vega, custom template from .dvc/plots", () => {
  const dir = project();
  try {
    const vega = JSON.parse(
      cairnOk(["plots", "show", "d.csv", "-x", "a", "-y", "b", "--show-vega"], { cwd: dir }).stdout,
    );
    assertEquals(vega.encoding.x.field, "a");
    assertEquals(vega.data.values.length, 2);
    writeFiles(dir, {
      ".dvc/plots/bars.json": JSON.stringify({
        $schema: "https://vega.github.io/schema/vega-lite/v5.json",
        data: { values: "<DVC_METRIC_DATA>" },
        mark: "bar",
        encoding: {
          x: { field: "<DVC_METRIC_X>" },
          y: { field: "<DVC_METRIC_Y>", type: "quantitative" },
        },
      }),
    });
    const j = JSON.parse(
      cairnOk(["plots", "show", "d.csv", "-t", "bars", "-x", "a", "-y", "b", "--json"], {
        cwd: dir,
      }).stdout,
    );
    const spec = j.data["d.csv"][0].content;
    assertEquals(spec.mark, "bar");
    // no optional anchors: filename/field stay in the data
    assertEquals(Object.keys(spec.data.values[0]), ["a", "b", "rev", "filename", "field"]);
    cairnOk(["plots", "show", "-o", "out"], { cwd: dir });
    assert(Deno.statSync(join(dir, "out", "index.html")).isFile);
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots bad input: missing field names field and file; missing file; --json errors", () => {
  const dir = project();
  try {
    const r = cairn(["plots", "show", "d.csv", "-y", "zz"], { cwd: dir });
    assertEquals(r.code, 0);
    assertMatch(r.stderr, /'zz'.*'a, b'.*'d\.csv'/);
    const j = JSON.parse(
      cairnOk(["plots", "show", "d.csv", "-y", "zz", "--json"], { cwd: dir }).stdout,
    );
    assertEquals(j.errors[0].type, "FieldNotFoundError");
    assertEquals(j.data["d.csv"], []);
    const m = cairn(["plots", "show", "nothere.csv"], { cwd: dir });
    assertMatch(m.stderr, /cannot load 'nothere\.csv'/);
    const bad = cairn(["plots", "diff", "nosuchrev"], { cwd: dir });
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /unknown Git revision 'nosuchrev'/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots show --open hands the page URL to the system opener", async () => {
  const dir = project();
  const bin = Deno.makeTempDirSync({ prefix: "cairn-opener-" });
  try {
    writeFiles(bin, { "xdg-open": `#!/bin/sh\necho "$1" > "${bin}/opened"\n` });
    Deno.chmodSync(join(bin, "xdg-open"), 0o755);
    const r = cairnOk(["plots", "show", "--open"], {
      cwd: dir,
      env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
    });
    const url = r.stdout.split("\n")[0];
    assertMatch(url, /^file:\/\/.*dvc_plots\/index\.html$/);
    assertMatch(r.stdout, /plots\.auto_open true/);
    let opened = "";
    for (let i = 0; i < 50 && !opened; i++) {
      try {
        opened = Deno.readTextFileSync(join(bin, "opened")).trim();
      } catch {
        await new Promise((ok) => setTimeout(ok, 100));
      }
    }
    assertEquals(opened, url);
  } finally {
    removeDir(dir);
    removeDir(bin);
  }
});

Deno.test("experiments: names resolve like revisions; plots diff -e overlays the baseline", () => {
  const dir = project();
  try {
    const base = git(["rev-parse", "HEAD"], dir).trim();
    writeFiles(dir, {
      "prc.csv": "threshold,precision,recall\n0.1,0.6,0.9\n0.5,0.8,0.6\n0.9,1,0.2\n",
    });
    git(["commit", "-qam", "exp"], dir);
    const exp = git(["rev-parse", "HEAD"], dir).trim();
    git(["reset", "-q", "--hard", base], dir);
    git(["update-ref", `refs/exps/${base.slice(0, 2)}/${base.slice(2)}/exp-one`, exp], dir);
    const j = JSON.parse(
      cairnOk(["plots", "diff", "-e", "exp-one", "--json"], { cwd: dir }).stdout,
    );
    assertEquals(j.data["prc.csv"][0].revisions, ["exp-one", base.slice(0, 7)]);
    const vals = j.data["prc.csv"][0].content.data.values;
    assertEquals(vals.length, 6);
    // `-A` does not list experiment commits
    const all = JSON.parse(cairnOk(["metrics", "show", "-A", "--json"], { cwd: dir }).stdout);
    assert(!Object.keys(all).includes(exp));
  } finally {
    removeDir(dir);
  }
});
