/**
 * DVC's config schema (dvc/config_schema.py, DVC 3.x): which sections and
 * keys exist and what their values may be. A committed `.dvc/config` comes
 * from whoever wrote the repo, so cairn refuses what DVC refuses (exit 251,
 * DVC's message) instead of silently ignoring a typo such as `[remtoe]`, and
 * says which file and line, with a "did you mean" when a key is close.
 *
 * Messages follow voluptuous as DVC prints them:
 * `config file error: extra keys not allowed @ data['core']['bogus']`.
 */

/** Checks one value; returns voluptuous' message when it is not acceptable. */
type Check = (v: string) => string | undefined;

const str: Check = () => undefined;
const bool: Check = (v) => /^(true|false)$/i.test(v.trim()) ? undefined : "expected true or false";
const int: Check = (v) => /^\s*[-+]?\d+(_\d+)*\s*$/.test(v) ? undefined : "expected int";
const intMin = (min: number): Check => (v) =>
  int(v) ?? (Number(v) < min ? `value must be at least ${min}` : undefined);
const intRange = (min: number, max: number): Check => (v) =>
  int(v) ??
    (Number(v) < min
      ? `value must be at least ${min}`
      : Number(v) > max
      ? `value must be at most ${max}`
      : undefined);
const float: Check = (v) =>
  v.trim() !== "" && Number.isFinite(Number(v)) || /^\s*[-+]?(inf|nan)\s*$/i.test(v)
    ? undefined
    : "expected float";
const floatMin0: Check = (v) =>
  float(v) ?? (Number(v) < 0 ? "value must be at least 0" : undefined);
const choices = (...cs: string[]): Check => (v) =>
  cs.includes(v.toLowerCase()) ? undefined : `expected one of ${cs.join(", ")}`;
const boolOrStr: Check = () => undefined;
const cacheType: Check = (v) => {
  const bad = v.split(",").map((t) => t.trim()).filter((t) =>
    !["reflink", "hardlink", "symlink", "copy"].includes(t)
  );
  return bad.length ? `Unsupported cache type(s): ${bad.join(", ")}` : undefined;
};

type Keys = Record<string, Check>;

const REMOTE_COMMON: Keys = {
  url: str,
  checksum_jobs: intMin(1),
  jobs: intMin(1),
  worktree: bool,
  no_traverse: bool,
  version_aware: bool,
};
const LOCAL_COMMON: Keys = {
  type: cacheType,
  protected: bool,
  shared: choices("group"),
  slow_link_warning: bool,
  verify: bool,
};
const HTTP_COMMON: Keys = {
  auth: choices("basic", "digest", "custom"),
  custom_auth_header: str,
  user: str,
  password: str,
  ask_password: bool,
  ssl_verify: boolOrStr,
  method: str,
  connect_timeout: floatMin0,
  read_timeout: floatMin0,
  verify: bool,
};
const WEBDAV_COMMON: Keys = {
  user: str,
  password: str,
  ask_password: bool,
  token: str,
  custom_auth_header: str,
  cert_path: str,
  key_path: str,
  timeout: int,
  ssl_verify: boolOrStr,
  verify: bool,
};

/** Remote keys by URL scheme ("" = a local path). */
const REMOTE_SCHEMAS: Record<string, Keys> = {
  "": { ...LOCAL_COMMON, ...REMOTE_COMMON },
  s3: {
    region: str,
    profile: str,
    credentialpath: str,
    configpath: str,
    endpointurl: str,
    access_key_id: str,
    secret_access_key: str,
    session_token: str,
    listobjects: bool,
    use_ssl: bool,
    allow_anonymous_login: bool,
    ssl_verify: boolOrStr,
    sse: str,
    sse_kms_key_id: str,
    sse_customer_algorithm: str,
    sse_customer_key: str,
    acl: str,
    grant_read: str,
    grant_read_acp: str,
    grant_write_acp: str,
    grant_full_control: str,
    cache_regions: bool,
    read_timeout: int,
    connect_timeout: int,
    verify: bool,
    ...REMOTE_COMMON,
  },
  gs: {
    projectname: str,
    credentialpath: str,
    endpointurl: str,
    verify: bool,
    allow_anonymous_login: bool,
    ...REMOTE_COMMON,
  },
  ssh: {
    type: cacheType,
    port: int,
    user: str,
    password: str,
    ask_password: bool,
    passphrase: str,
    ask_passphrase: bool,
    keyfile: str,
    timeout: int,
    gss_auth: bool,
    allow_agent: bool,
    max_sessions: int,
    verify: bool,
    ...REMOTE_COMMON,
  },
  hdfs: { user: str, kerb_ticket: str, replication: int, ...REMOTE_COMMON },
  webhdfs: {
    kerberos: bool,
    kerberos_principal: str,
    proxy_to: str,
    ssl_verify: boolOrStr,
    token: str,
    use_https: bool,
    user: str,
    password: str,
    data_proxy_target: str,
    verify: bool,
    ...REMOTE_COMMON,
  },
  azure: {
    connection_string: str,
    sas_token: str,
    account_name: str,
    account_key: str,
    tenant_id: str,
    client_id: str,
    client_secret: str,
    allow_anonymous_login: bool,
    exclude_environment_credential: bool,
    exclude_visual_studio_code_credential: bool,
    exclude_shared_token_cache_credential: bool,
    exclude_managed_identity_credential: bool,
    verify: bool,
    timeout: int,
    read_timeout: int,
    connection_timeout: int,
    ...REMOTE_COMMON,
  },
  oss: {
    oss_key_id: str,
    oss_key_secret: str,
    oss_endpoint: str,
    verify: bool,
    ...REMOTE_COMMON,
  },
  gdrive: {
    profile: str,
    gdrive_use_service_account: bool,
    gdrive_client_id: str,
    gdrive_client_secret: str,
    gdrive_user_credentials_file: str,
    gdrive_service_account_user_email: str,
    gdrive_service_account_json_file_path: str,
    gdrive_trash_only: bool,
    gdrive_acknowledge_abuse: bool,
    verify: bool,
    ...REMOTE_COMMON,
  },
  http: { ...HTTP_COMMON, ...REMOTE_COMMON },
  https: { ...HTTP_COMMON, ...REMOTE_COMMON },
  webdav: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
  webdavs: { ...WEBDAV_COMMON, ...REMOTE_COMMON },
};

/** Plain sections. `feature` drops unknown keys with a warning in DVC: accepted. */
const SECTIONS: Record<string, Keys | "any"> = {
  core: {
    remote: str,
    checksum_jobs: intMin(1),
    interactive: bool,
    analytics: bool,
    hardlink_lock: bool,
    no_scm: bool,
    autostage: bool,
    experiments: bool,
    check_update: bool,
    site_cache_dir: str,
    machine: str,
  },
  cache: {
    local: str,
    s3: str,
    gs: str,
    hdfs: str,
    webhdfs: str,
    ssh: str,
    azure: str,
    dir: str,
    ...LOCAL_COMMON,
  },
  state: { dir: str, row_limit: intMin(1), row_cleanup_quota: intRange(0, 100) },
  index: { dir: str },
  feature: "any",
  plots: { html_template: str, auto_open: bool, out_dir: str },
  exp: {
    code: str,
    data: str,
    models: str,
    metrics: str,
    params: str,
    plots: str,
    live: str,
    auto_push: bool,
    git_remote: str,
  },
  parsing: {
    bool: choices("store_true", "boolean_optional"),
    list: choices("nargs", "append"),
  },
  hydra: {
    enabled: bool,
    config_dir: str,
    config_module: str,
    config_name: str,
    plugins_path: str,
  },
  studio: { token: str, url: str, repo_url: str, offline: bool },
};

/** Named sections (`['remote "x"']`) and their keys. */
const NAMED_SECTIONS: Record<string, Keys | "remote"> = {
  remote: "remote",
  machine: {
    cloud: choices("aws", "azure"),
    region: choices("us-west", "us-east", "eu-west", "eu-north"),
    image: str,
    spot: bool,
    spot_price: float,
    instance_hdd_size: int,
    instance_type: str,
    instance_gpu: str,
    ssh_private: str,
    startup_script: str,
    setup_script: str,
  },
  db: { url: str, username: str, password: str },
};

const NAMED_RE = /^\s*(remote|machine|db)\s*"(.*)"\s*$/;

/** One refused entry: where, what, and a close valid name when there is one. */
export interface ConfigProblem {
  /** section as written (`core`, `remote "storage"`). */
  section: string;
  /** the key, or undefined when the whole section is unknown. */
  key?: string;
  /** voluptuous-style message, e.g. `extra keys not allowed @ data['core']['bogus']`. */
  message: string;
  /** a valid name close to the unknown one (`remote`, `core.autostage`). */
  suggestion?: string;
}

/** Python repr of a str (as voluptuous prints paths). */
function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replaceAll("\\", "\\\\").replaceAll(q, `\\${q}`);
  return `${q}${body}${q}`;
}

function at(path: string[]): string {
  // a hostile config can hold a 1 MB "key": the message shows its start
  const short = (p: string) => (p.length > 200 ? `${p.slice(0, 200)}...` : p);
  return ` @ data[${path.map((p) => pyRepr(short(p))).join("][")}]`;
}

/** Edit distance, for suggestions (names are short). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1); // transposition: remtoe
      }
    }
  }
  return d[a.length][b.length];
}

/** The closest of `names` to `word`, when close enough to be a typo. */
export function closest(word: string, names: Iterable<string>): string | undefined {
  if (word.length > 64) return undefined; // no typo is that long (and the distance is quadratic)
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of names) {
    const dist = distance(word.toLowerCase(), n);
    if (dist < bestD) [best, bestD] = [n, dist];
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return bestD <= limit ? best : undefined;
}

/** URL scheme as DVC's ByUrl picks the remote schema ("" when there is no host part). */
function schemeOf(url: string | undefined): string {
  if (!url) return "";
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)/.exec(url);
  if (!m || m[2] === "") return "";
  return m[1].toLowerCase();
}

/** Keys a remote section may have: by its URL's scheme; undefined = not checked. */
function remoteKeys(url: string | undefined): Keys | undefined {
  const scheme = schemeOf(url);
  if (scheme === "remote") return undefined; // `remote://other/path`: any of the above
  if (url === undefined) {
    // no url (yet): any key some remote type has
    return Object.assign({}, ...Object.values(REMOTE_SCHEMAS));
  }
  // schemes DVC does not know are remote plugins' (their keys are theirs)
  return REMOTE_SCHEMAS[scheme];
}

/**
 * Check merged config sections (section name as written -> key -> value).
 * Returns the first problem in file order, or undefined when DVC would
 * accept the config.
 */
export function checkConfig(
  sections: Iterable<[string, Iterable<[string, string]>]>,
): ConfigProblem | undefined {
  for (const [written, entries] of sections) {
    const section = written.toLowerCase(); // DVC lower-cases section names and keys
    const pairs = [...entries];
    const named = NAMED_RE.exec(section);
    let keys: Keys | undefined;
    let path: string[];
    if (named) {
      const kind = NAMED_SECTIONS[named[1]];
      path = [named[1], named[2]];
      if (kind === "remote") {
        keys = remoteKeys(pairs.find(([k]) => k === "url")?.[1]);
      } else keys = kind;
    } else {
      const kind = SECTIONS[section];
      path = [section];
      if (kind === undefined) {
        const word = /^\s*(\S+?)\s*(".*")?\s*$/.exec(section);
        const stem = word?.[1] ?? section;
        const sugg = closest(stem, [...Object.keys(SECTIONS), ...Object.keys(NAMED_SECTIONS)]);
        const suggestion = sugg === undefined
          ? undefined
          : word?.[2] && sugg in NAMED_SECTIONS
          ? `${sugg} ${word[2]}`
          : sugg;
        return { section: written, message: `extra keys not allowed${at(path)}`, suggestion };
      }
      keys = kind === "any" ? undefined : kind;
    }
    if (!keys) continue;
    for (const [key, value] of pairs) {
      const check = keys[key];
      if (!check) {
        const sugg = closest(key, Object.keys(keys));
        return {
          section: written,
          key,
          message: `extra keys not allowed${at([...path, key])}`,
          suggestion: sugg,
        };
      }
      const bad = check(value);
      if (bad) {
        return {
          section: written,
          key,
          message: `${bad} for dictionary value${at([...path, key])}`,
        };
      }
    }
  }
  return undefined;
}

/** Whether `section.key` exists in DVC's schema (for `cairn config` edits). */
export function knownKey(written: string, key: string, url?: string): boolean {
  const section = written.toLowerCase();
  const named = NAMED_RE.exec(section);
  if (named) {
    const kind = NAMED_SECTIONS[named[1]];
    const keys = kind === "remote" ? remoteKeys(url) : kind;
    return !keys || key in keys;
  }
  const kind = SECTIONS[section];
  return kind !== undefined && (kind === "any" || key in kind);
}
