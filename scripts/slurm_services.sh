#!/usr/bin/env bash
# A one-node Slurm on 127.0.0.1 for tests/e2e/slurm_test.ts and scripts/bench/slurm.ts:
# munged (as user munge, the package's key), slurmctld and slurmd (as root) with a
# generated slurm.conf in a scratch state dir: one node with this machine's CPUs,
# proctrack/linuxproc, task/none, no cgroups, no accounting (read a job's final state
# with `scontrol show job`, kept MinJobAge seconds), scheduling without delay. Memory is
# a consumable (--mem, 1 GB per CPU by default) and, without cgroups, enforced by
# slurmstepd's polling (jobacct_gather/linux + OverMemoryKill: such a job ends FAILED).
#
#   slurm_services.sh start   start what is not running; write CAIRN_TEST_SLURM_CONF
#                             (the slurm.conf path, for SLURM_CONF) to services.env
#   slurm_services.sh stop    stop slurmd and slurmctld (munged stays: other things may use it)
#
# Called by scripts/test_services.sh (service name `slurm`); same state dir and env file.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${CAIRN_SERVICES_DIR:-$repo/.tools/services}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
envfile="$dir/services.env"
s="$dir/slurm"

log() { echo "slurm_services: $*" >&2; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
set_env() {
  touch "$envfile"
  grep -v "^$1=" "$envfile" >"$envfile.tmp.$$" || true
  echo "$1=$2" >>"$envfile.tmp.$$"
  mv "$envfile.tmp.$$" "$envfile"
}
drop_env() {
  [ -f "$envfile" ] || return 0
  grep -v "^$1" "$envfile" >"$envfile.tmp.$$" || true
  mv "$envfile.tmp.$$" "$envfile"
}

start_munge() {
  local sock=/run/munge/munge.socket.2 pidf=/run/munge/munged.pid
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 0755 /run/munge
  if alive "$pidf" && [ -S "$sock" ]; then return 0; fi
  if [ ! -s /etc/munge/munge.key ]; then
    # the package creates it; generate one if it did not
    mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null ||
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 2>/dev/null
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  runuser -u munge -- /usr/sbin/munged --force || { log "munged did not start"; return 1; }
  local i
  for ((i = 0; i < 50; i++)); do [ -S "$sock" ] && return 0; sleep 0.1; done
  log "munged: no socket at $sock"
  return 1
}

write_conf() {
  local host cpus memmb cport dport
  host="$(hostname -s)"
  cpus="$(nproc)"
  memmb="$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)"
  # keep the ports a running controller already uses
  if [ -f "$s/slurm.conf" ]; then
    cport="$(sed -n 's/^SlurmctldPort=//p' "$s/slurm.conf")"
    dport="$(sed -n 's/^SlurmdPort=//p' "$s/slurm.conf")"
  fi
  [ -n "${cport:-}" ] || cport="$(free_port)"
  [ -n "${dport:-}" ] || dport="$(free_port)"
  mkdir -p "$s/state" "$s/spool"
  cat >"$s/slurm.conf.tmp" <<CONF
ClusterName=cairn
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$cport
SlurmdPort=$dport
AuthType=auth/munge
StateSaveLocation=$s/state
SlurmdSpoolDir=$s/spool
SlurmctldPidFile=$s/slurmctld.pid
SlurmdPidFile=$s/slurmd.pid
SlurmctldLogFile=$s/slurmctld.log
SlurmdLogFile=$s/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
JobAcctGatherParams=OverMemoryKill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1024
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MinJobAge=300
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=60
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memmb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  mv "$s/slurm.conf.tmp" "$s/slurm.conf"
}

wait_node() { # seconds: until the node takes jobs
  local i st
  for ((i = 0; i < $1 * 10; i++)); do
    st="$(SLURM_CONF="$s/slurm.conf" sinfo -h -N -o '%t' 2>/dev/null | head -n1)"
    case "$st" in idle | mix | alloc) return 0 ;; esac
    sleep 0.1
  done
  log "the node is not ready (sinfo says '${st:-nothing}'; see $s/slurmctld.log, $s/slurmd.log)"
  return 1
}

start() {
  if [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/slurmd ] || [ ! -x /usr/sbin/munged ]; then
    log "not installed: slurm-wlm / munge (scripts/ci_deps.d/slurm.sh installs them); Slurm tests fail"
    set_env CAIRN_TEST_SLURM_MISSING "slurm-wlm munge"
    return 0
  fi
  start_munge || return 1
  mkdir -p "$s"
  if ! alive "$s/slurmctld.pid" || ! alive "$s/slurmd.pid"; then
    stop_daemons
    write_conf
    export SLURM_CONF="$s/slurm.conf"
    # -i: ignore saved state from an earlier run (jobs of a killed test run)
    /usr/sbin/slurmctld -i || { log "slurmctld failed (see $s/slurmctld.log)"; return 1; }
    /usr/sbin/slurmd || { log "slurmd failed (see $s/slurmd.log)"; return 1; }
  fi
  wait_node 30 || return 1
  set_env CAIRN_TEST_SLURM_CONF "$s/slurm.conf"
  drop_env CAIRN_TEST_SLURM_MISSING
  log "slurm: slurmctld + slurmd on 127.0.0.1 ($s/slurm.conf)"
}

stop_daemons() {
  local p pidf i
  for p in slurmd slurmctld; do
    pidf="$s/$p.pid"
    if alive "$pidf"; then
      kill -TERM "$(cat "$pidf" 2>/dev/null)" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do alive "$pidf" || break; sleep 0.1; done
      alive "$pidf" && kill -KILL "$(cat "$pidf" 2>/dev/null)" 2>/dev/null
    fi
    rm -f "$pidf"
  done
}

case "${1:-}" in
start) start ;;
stop)
  stop_daemons
  drop_env CAIRN_TEST_SLURM_
  ;;
*)
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac
