#!/usr/bin/env bash
# Real servers for the remote-plugin tests, on 127.0.0.1 only, each on a free port:
#   s3     moto's S3 server (python3 -m moto.server; moto ships with the image's python3)
#   ssh    Debian openssh-server, scratch sshd_config, generated host + client keys
#   http   Debian nginx-light + dav-ext module: plain HTTP reads and WebDAV writes
#   slurm  Debian slurm-wlm + munge: one-node Slurm (scripts/slurm_services.sh)
#
#   test_services.sh start [s3|ssh|http|slurm]  start (all by default), write the env file
#   test_services.sh stop  [names...]          stop what start started (by pid file)
#   test_services.sh kill  NAME                SIGKILL a server and its children (tests of
#                                              interrupted transfers), keeps its state dir
#   test_services.sh env                       print the env file's path
#
# State lives in $CAIRN_SERVICES_DIR (default <repo>/.tools/services); tests read
# $CAIRN_SERVICES_DIR/services.env (KEY=VALUE lines). A service that cannot start (package
# missing) is left out of the env file, and the tests for it are skipped with a reason.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${CAIRN_SERVICES_DIR:-$repo/.tools/services}"
envfile="$dir/services.env"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

log() { echo "test_services: $*" >&2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Keep the port a service had, so a restarted server is found by running clients.
port_for() { # name
  local f="$dir/$1.port"
  [ -s "$f" ] || free_port >"$f"
  cat "$f"
}

wait_port() { # port seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

set_env() { # key value: replace the key's line in the env file
  touch "$envfile"
  grep -v "^$1=" "$envfile" >"$envfile.tmp" || true
  echo "$1=$2" >>"$envfile.tmp"
  mv "$envfile.tmp" "$envfile"
}

drop_env() { # prefix
  [ -f "$envfile" ] || return 0
  grep -v "^$1" "$envfile" >"$envfile.tmp" || true
  mv "$envfile.tmp" "$envfile"
}

# A service that cannot start because something is not installed: say what, in the
# log and in the env file (CAIRN_TEST_<NAME>_MISSING), so its skipped tests name it.
missing() { # name what
  log "$1: not installed: $2; its tests are skipped"
  set_env "$(env_prefix "$1")MISSING" "$2"
}

start_s3() {
  if ! python3 -c "import moto.server" 2>/dev/null; then
    missing s3 "python3 module moto (comes with the machine image's python3)"
    return 0
  fi
  local port pidf="$dir/s3.pid"
  port="$(port_for s3)"
  if ! alive "$pidf"; then
    # setsid: own process group, so `kill` can take the whole server down.
    setsid python3 -m moto.server -H 127.0.0.1 -p "$port" >"$dir/s3.log" 2>&1 &
    echo $! >"$pidf"
  fi
  wait_port "$port" 30 || { log "s3: moto did not listen on $port (see $dir/s3.log)"; return 1; }
  # moto keeps state in memory: (re)create the test bucket.
  python3 - "$port" <<'PY' || return 1
import sys, urllib.request
req = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/cairn-test", method="PUT")
try:
    urllib.request.urlopen(req).read()
except urllib.error.HTTPError as e:
    if e.code != 409: raise
PY
  set_env CAIRN_TEST_S3_ENDPOINT "http://127.0.0.1:$port"
  set_env CAIRN_TEST_S3_BUCKET cairn-test
  drop_env CAIRN_TEST_S3_MISSING
  log "s3: moto on 127.0.0.1:$port"
}

start_ssh() {
  local sshd=/usr/sbin/sshd
  if [ ! -x "$sshd" ]; then
    missing ssh "openssh-server ($sshd; scripts/ci_deps.sh installs it)"
    return 0
  fi
  local port pidf="$dir/ssh.pid" s="$dir/ssh"
  port="$(port_for ssh)"
  mkdir -p "$s" "$dir/ssh_root" /run/sshd
  [ -f "$s/host_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -f "$s/host_ed25519"
  [ -f "$s/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -f "$s/id_ed25519"
  cp "$s/id_ed25519.pub" "$s/authorized_keys"
  chmod 600 "$s/authorized_keys"
  cat >"$s/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $s/host_ed25519
PidFile $pidf
AuthorizedKeysFile $s/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
  if ! alive "$pidf"; then
    setsid "$sshd" -f "$s/sshd_config" -E "$dir/ssh.log" || { log "ssh: sshd failed (see $dir/ssh.log)"; return 1; }
  fi
  wait_port "$port" 10 || { log "ssh: sshd did not listen on $port"; return 1; }
  set_env CAIRN_TEST_SSH_HOST 127.0.0.1
  set_env CAIRN_TEST_SSH_PORT "$port"
  set_env CAIRN_TEST_SSH_USER "$(id -un)"
  set_env CAIRN_TEST_SSH_KEYFILE "$s/id_ed25519"
  set_env CAIRN_TEST_SSH_ROOT "$dir/ssh_root"
  drop_env CAIRN_TEST_SSH_MISSING
  log "ssh: sshd on 127.0.0.1:$port"
}

start_http() {
  local nginx=/usr/sbin/nginx mod=/usr/lib/nginx/modules/ngx_http_dav_ext_module.so
  if [ ! -x "$nginx" ] || [ ! -f "$mod" ]; then
    local what=()
    [ -x "$nginx" ] || what+=("nginx-light ($nginx)")
    [ -f "$mod" ] || what+=("libnginx-mod-http-dav-ext ($mod)")
    missing http "${what[*]}; scripts/ci_deps.sh installs them"
    return 0
  fi
  local port pidf="$dir/http.pid" n="$dir/nginx"
  port="$(port_for http)"
  mkdir -p "$n/tmp" "$n/logs" "$dir/www/private"
  echo 'cairn:{PLAIN}cairn-test-password' >"$n/htpasswd"
  cat >"$n/nginx.conf" <<EOF
load_module $mod;
user $(id -un);
worker_processes 1;
daemon on;
pid $pidf;
error_log $dir/http.log error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $n/tmp;
  proxy_temp_path $n/tmp;
  fastcgi_temp_path $n/tmp;
  uwsgi_temp_path $n/tmp;
  scgi_temp_path $n/tmp;
  sendfile on;
  server {
    listen 127.0.0.1:$port;
    root $dir/www;
    client_max_body_size 0;
    # Same WebDAV behind basic auth (test-only credentials), for the user/password keys.
    location /private/ {
      auth_basic "cairn";
      auth_basic_user_file $n/htpasswd;
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
    location / {
      dav_methods PUT DELETE MKCOL COPY MOVE;
      dav_ext_methods PROPFIND OPTIONS;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      autoindex on;
    }
  }
}
EOF
  if ! alive "$pidf"; then
    setsid "$nginx" -p "$n" -e "$dir/http.log" -c "$n/nginx.conf" || { log "http: nginx failed (see $dir/http.log)"; return 1; }
  fi
  wait_port "$port" 10 || { log "http: nginx did not listen on $port"; return 1; }
  set_env CAIRN_TEST_HTTP_URL "http://127.0.0.1:$port"
  set_env CAIRN_TEST_HTTP_ROOT "$dir/www"
  set_env CAIRN_TEST_HTTP_USER cairn
  set_env CAIRN_TEST_HTTP_PASSWORD cairn-test-password
  drop_env CAIRN_TEST_HTTP_MISSING
  log "http: nginx (WebDAV) on 127.0.0.1:$port"
}

start_slurm() { bash "$repo/scripts/slurm_services.sh" start; }

# The server's pid and its descendants (sshd/nginx fork per connection/worker).
tree_pids() { # pid
  local p c
  p="$1"
  echo "$p"
  for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do tree_pids "$c"; done
}

stop_one() { # name signal
  local pidf="$dir/$1.pid" pids
  if alive "$pidf"; then
    pids="$(tree_pids "$(cat "$pidf")")"
    # shellcheck disable=SC2086
    kill "-$2" $pids 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do alive "$pidf" || break; sleep 0.1; done
  fi
  rm -f "$pidf"
}

env_prefix() { case "$1" in s3) echo CAIRN_TEST_S3_ ;; ssh) echo CAIRN_TEST_SSH_ ;; http) echo CAIRN_TEST_HTTP_ ;; slurm) echo CAIRN_TEST_SLURM_ ;; esac; }

cmd="${1:-}"
shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(s3 ssh http slurm)
for n in "${names[@]}"; do
  case "$n" in s3 | ssh | http | slurm) ;; *) log "unknown service '$n' (s3, ssh, http, slurm)"; exit 2 ;; esac
done

case "$cmd" in
start)
  rc=0
  for n in "${names[@]}"; do "start_$n" || rc=1; done
  touch "$envfile"
  exit $rc
  ;;
stop)
  for n in "${names[@]}"; do
    [ "$n" = slurm ] && { bash "$repo/scripts/slurm_services.sh" stop; continue; }
    stop_one "$n" TERM
    drop_env "$(env_prefix "$n")"
  done
  ;;
kill)
  for n in "${names[@]}"; do stop_one "$n" KILL; done
  ;;
env)
  echo "$envfile"
  ;;
*)
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac
