/**
 * Issue 10 item 3: a cloned repo's `.dvc/config` with unknown sections or
 * keys (`[frobnicate]`, `core.bogus`, a typo like `remtoe`) used to be
 * accepted silently. DVC refuses them (exit 251, voluptuous' message); so
 * does cairn, naming file and line and suggesting the close valid name.
 * Every key of DVC's schema stays accepted (a false refusal would break
 * real projects).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, FIXTURES, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { checkConfig } from "../../lib/config/schema.ts";
import { loadConfig } from "../../lib/config/config.ts";

function statusIn(dir: string, env?: Record<string, string>) {
  return cairn(["status"], { cwd: dir, env });
}

Deno.test("unknown section, unknown key, typo: exit 251 with DVC's message, file:line and a suggestion", () => {
  const dir = makeRepo();
  try {
    const cases: [string, RegExp, RegExp][] = [
      [
        "[frobnicate]\n    x = 1\n",
        /^ERROR: configuration error - config file error: extra keys not allowed @ data\['frobnicate'\]$/m,
        /\.dvc\/config:1: unknown section \[frobnicate\]/,
      ],
      [
        "[core]\n    remote = s\n    bogus = 1\n",
        /^ERROR: configuration error - config file error: extra keys not allowed @ data\['core'\]\['bogus'\]$/m,
        /\.dvc\/config:3: unknown key 'bogus' in \[core\]/,
      ],
      [
        "[core]\n    autostge = true\n",
        /extra keys not allowed @ data\['core'\]\['autostge'\]/,
        /\.dvc\/config:2: .*did you mean 'autostage'\?/,
      ],
      [
        "['remtoe \"storage\"']\n    url = /tmp/x\n",
        /extra keys not allowed @ data\['remtoe "storage"'\]/,
        /did you mean \[remote "storage"\]\?/,
      ],
      [
        "[cache]\n    type = copy\n['remote \"s3r\"']\n    url = s3://bucket/path\n    regoin = us-east-1\n",
        /extra keys not allowed @ data\['remote'\]\['s3r'\]\['regoin'\]/,
        /\.dvc\/config:5: unknown key 'regoin' in \[remote "s3r"\] \(did you mean 'region'\?\)/,
      ],
      [
        // a key of another remote type: DVC picks the schema by the url's scheme
        "['remote \"loc\"']\n    url = ../store\n    endpointurl = http://x\n",
        /extra keys not allowed @ data\['remote'\]\['loc'\]\['endpointurl'\]/,
        /\.dvc\/config:3:/,
      ],
      [
        "[core]\n    autostage = maybe\n",
        /expected true or false for dictionary value @ data\['core'\]\['autostage'\]/,
        /\.dvc\/config:2: invalid value of 'autostage'/,
      ],
      [
        "[cache]\n    type = reflink,teleport\n",
        /Unsupported cache type\(s\): teleport for dictionary value @ data\['cache'\]\['type'\]/,
        /\.dvc\/config:2:/,
      ],
    ];
    for (const [config, message, hint] of cases) {
      writeFiles(dir, { ".dvc/config": config });
      // every command opens the config the same way: three of them for the first case
      const commands = config === cases[0][0] ? [["status"], ["push"], ["repro"]] : [["status"]];
      for (const args of commands) {
        const r = cairn(args, { cwd: dir });
        assertEquals(r.code, 251, `${args} with ${JSON.stringify(config)}: ${r.stderr}`);
        assertMatch(r.stderr, message);
        assertMatch(r.stderr, hint);
        assertEquals(r.stderr.match(/\n\s+at /), null, "no stack trace");
      }
    }
  } finally {
    removeDir(dir);
  }
});

Deno.test("config.local and the global config are validated too (DVC validates the merged config)", () => {
  const dir = makeRepo();
  const global = Deno.makeTempDirSync({ prefix: "cairn-global-" });
  try {
    const env = { DVC_GLOBAL_CONFIG_DIR: global };
    writeFiles(dir, { ".dvc/config.local": "[core]\n    remtoe = x\n" });
    const l = statusIn(dir, env);
    assertEquals(l.code, 251, l.stderr);
    assertMatch(
      l.stderr,
      /config\.local:2: unknown key 'remtoe' in \[core\] \(did you mean 'remote'\?\)/,
    );
    Deno.removeSync(join(dir, ".dvc/config.local"));
    writeFiles(global, {
      config: "[state]\n    row_limit = 10\n[plots]\n    out_dir = x\n    colour = red\n",
    });
    const g = statusIn(dir, env);
    assertEquals(g.code, 251, g.stderr);
    assertMatch(g.stderr, /data\['plots'\]\['colour'\]/);
    assertMatch(g.stderr, new RegExp(`${global}/config:5:`));
  } finally {
    removeDir(dir);
    removeDir(global);
  }
});

Deno.test("cairn config / remote modify refuse unknown keys and leave the file as it was; --unset repairs", () => {
  const dir = makeRepo();
  try {
    cairnOk(["remote", "add", "-d", "s", "s3://bucket/x"], { cwd: dir });
    const before = Deno.readTextFileSync(join(dir, ".dvc/config"));
    const c = cairn(["config", "core.bogus", "1"], { cwd: dir });
    assertEquals(c.code, 251, c.stderr);
    assertMatch(c.stderr, /extra keys not allowed @ data\['core'\]\['bogus'\]/);
    const m = cairn(["remote", "modify", "s", "regoin", "eu-west-1"], { cwd: dir });
    assertEquals(m.code, 251, m.stderr);
    assertMatch(m.stderr, /data\['remote'\]\['s'\]\['regoin'\]/);
    assertMatch(m.stderr, /did you mean 'region'/);
    const v = cairn(["config", "core.autostage", "maybe"], { cwd: dir });
    assertEquals(v.code, 251, v.stderr);
    assertMatch(
      v.stderr,
      /expected true or false for dictionary value @ data\['core'\]\['autostage'\]/,
    );
    assertEquals(Deno.readTextFileSync(join(dir, ".dvc/config")), before);
    cairnOk(["remote", "modify", "s", "region", "eu-west-1"], { cwd: dir });
    cairnOk(["remote", "modify", "s", "endpointurl", "http://127.0.0.1:9000"], { cwd: dir });

    // a broken committed config can still be repaired with cairn config --unset
    writeFiles(dir, { ".dvc/config": before + "[core]\n    bogus = 1\n" });
    assertEquals(statusIn(dir).code, 251);
    // the config verbs still read it, as DVC's do (to show and repair it)
    assertMatch(cairnOk(["config", "-l"], { cwd: dir }).stdout, /core\.bogus=1/);
    assertEquals(cairnOk(["remote", "default"], { cwd: dir }).stdout.trim(), "s");
    cairnOk(["config", "--unset", "core.bogus"], { cwd: dir });
    assertEquals(statusIn(dir).code, 0, statusIn(dir).stderr);
  } finally {
    removeDir(dir);
  }
});

/**
 * Real-world configs written by hand from DVC's documentation (not derived
 * from cairn's schema table, so a key missing there fails here).
 */
const VALID_CONFIG = `[core]
    remote = storage
    autostage = true
    check_update = false
    analytics = false
    hardlink_lock = true
    interactive = false
    checksum_jobs = 4
    site_cache_dir = /tmp/dvc-site
    no_scm = false
    experiments = true
[cache]
    type = "reflink,hardlink,symlink,copy"
    shared = group
    slow_link_warning = false
    verify = false
    protected = false
[state]
    row_limit = 100
    row_cleanup_quota = 50
    dir = /tmp/state
[index]
    dir = /tmp/index
[feature]
    machine = true
    some_future_flag = true
[plots]
    html_template = tpl.html
    out_dir = dvc_plots
    auto_open = false
[exp]
    auto_push = true
    git_remote = origin
    code = src
    params = params.yaml
[parsing]
    bool = boolean_optional
    list = append
[hydra]
    enabled = true
    config_dir = conf
    config_name = config
    plugins_path = plugins
[studio]
    token = abc
    url = https://studio.example
    repo_url = git@example:x/y.git
    offline = true
['remote "storage"']
    url = s3://bucket/path
    region = us-east-1
    profile = default
    endpointurl = http://127.0.0.1:9000
    access_key_id = a
    secret_access_key = b
    session_token = c
    use_ssl = false
    ssl_verify = /etc/ca.pem
    allow_anonymous_login = false
    sse = AES256
    acl = private
    grant_read = id=x
    listobjects = true
    read_timeout = 60
    connect_timeout = 60
    jobs = 8
    checksum_jobs = 2
    worktree = false
    version_aware = true
    verify = true
    no_traverse = false
['remote "local"']
    url = ../store
    type = copy
    shared = group
    protected = false
    jobs = 2
['remote "ssh"']
    url = ssh://user@example.com:2222/srv/dvc
    port = 2222
    user = user
    keyfile = ~/.ssh/id_ed25519
    password = p
    ask_password = false
    passphrase = q
    ask_passphrase = false
    timeout = 30
    gss_auth = false
    allow_agent = true
    max_sessions = 4
['remote "web"']
    url = https://example.com/dvc
    auth = custom
    custom_auth_header = X-Token
    user = u
    password = p
    ask_password = false
    ssl_verify = false
    method = PUT
    connect_timeout = 1.5
    read_timeout = 10
['remote "dav"']
    url = webdavs://example.com/remote.php/dav
    user = u
    password = p
    token = t
    cert_path = c.pem
    key_path = k.pem
    timeout = 30
    ssl_verify = true
['remote "gcs"']
    url = gs://bucket/x
    projectname = p
    credentialpath = creds.json
    endpointurl = http://127.0.0.1:4443
    allow_anonymous_login = true
['remote "az"']
    url = azure://container/x
    account_name = a
    account_key = k
    connection_string = cs
    sas_token = s
    tenant_id = t
    client_id = c
    client_secret = cs
    allow_anonymous_login = false
    exclude_environment_credential = true
    timeout = 10
    read_timeout = 10
    connection_timeout = 10
['remote "gd"']
    url = gdrive://root/x
    gdrive_use_service_account = true
    gdrive_client_id = id
    gdrive_client_secret = secret
    gdrive_user_credentials_file = creds.json
    gdrive_service_account_json_file_path = sa.json
    gdrive_service_account_user_email = a@b.c
    gdrive_trash_only = true
    gdrive_acknowledge_abuse = false
['remote "oss"']
    url = oss://bucket/x
    oss_key_id = i
    oss_key_secret = s
    oss_endpoint = e
['remote "hdfs"']
    url = hdfs://user@example.com/path
    user = u
    kerb_ticket = t
    replication = 3
['remote "whdfs"']
    url = webhdfs://example.com/path
    kerberos = true
    kerberos_principal = p
    proxy_to = x
    use_https = true
    token = t
    user = u
    password = p
    data_proxy_target = d
['remote "sub"']
    url = remote://storage/sub
    anything = goes
['machine "gpu"']
    cloud = aws
    region = us-west
    image = ubuntu
    spot = true
    spot_price = 0.5
    instance_hdd_size = 40
    instance_type = m
    instance_gpu = k80
    ssh_private = key
    startup_script = s.sh
    setup_script = t.sh
['db "warehouse"']
    url = postgresql://x
    username = u
    password = p
`;

Deno.test("a config with every kind of valid DVC key is accepted (no false refusals)", () => {
  assertEquals(checkConfig(parseSections(VALID_CONFIG)), undefined);
  const dir = makeRepo();
  try {
    // the remotes above are never contacted by status without -c
    writeFiles(dir, { ".dvc/config": VALID_CONFIG.replace("remote = storage", "remote = local") });
    const r = statusIn(dir);
    assertEquals(r.code, 0, r.stderr);
    // configs DVC itself wrote (fixtures) load too
    for (const name of ["config", "config_after_edits"]) {
      const text = Deno.readTextFileSync(join(FIXTURES, "remote_layout", name));
      assertEquals(checkConfig(parseSections(text)), undefined, name);
      writeFiles(dir, { ".dvc/config": text });
      const s = statusIn(dir);
      assert(s.code !== 251, `${name}: ${s.stderr}`);
    }
  } finally {
    removeDir(dir);
  }
});

/** Minimal INI reading for the unit checks (section -> [key, value][]). */
function parseSections(text: string): [string, [string, string][]][] {
  const out: [string, [string, string][]][] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const h = /^\[(.*)\]$/.exec(line);
    if (h) {
      out.push([h[1].replace(/^'(.*)'$/, "$1"), []]);
      continue;
    }
    const eq = line.indexOf("=");
    out.at(-1)![1].push([
      line.slice(0, eq).trim(),
      line.slice(eq + 1).trim().replace(/^"(.*)"$/, "$1"),
    ]);
  }
  return out;
}

Deno.test("schema unit: messages, suggestions, remote type by url scheme", () => {
  const p = checkConfig([["core", [["remtoe", "x"]]]]);
  assertEquals(p?.message, "extra keys not allowed @ data['core']['remtoe']");
  assertEquals(p?.suggestion, "remote");
  assertEquals(
    checkConfig([["CORE", [["autostage", "TRUE"]]]]),
    undefined,
    "names are case-insensitive",
  );
  assertEquals(
    checkConfig([['remote "x"', [["url", "s3://b/p"], ["jobs", "0"]]]])?.message,
    "value must be at least 1 for dictionary value @ data['remote']['x']['jobs']",
  );
  assertEquals(
    checkConfig([['remote "x"', [["url", "/abs/path"], ["region", "x"]]]])?.message,
    "extra keys not allowed @ data['remote']['x']['region']",
  );
  // a scheme DVC does not know belongs to a remote plugin: its keys are its own
  assertEquals(checkConfig([['remote "p"', [["url", "foo://h/x"], ["whatever", "1"]]]]), undefined);
  assertEquals(checkConfig([["frobnicate", [["x", "1"]]]])?.suggestion, undefined, "nothing close");
});

Deno.test("section names are read case-insensitively, as DVC lower-cases them", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-cfg-" });
  try {
    writeFiles(dir, {
      ".dvc/config":
        "[Core]\n    remote = S\n    autostage = true\n['Remote \"S\"']\n    url = /x\n",
    });
    const cfg = loadConfig(join(dir, ".dvc"), { levels: ["repo"] });
    assertEquals(cfg.core.autostage, "true");
    assertEquals(cfg.core.remote, "s");
    assertEquals(cfg.remote.s?.url, "/x");
  } finally {
    removeDir(dir);
  }
});
