#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on this machine, for testing `shatter slurm` for real.
#
#   scripts/slurm-cluster.sh start STATE_DIR   install slurm-wlm and munge if absent (apt-get), start
#                                             munged, slurmctld and slurmd with a slurm.conf of
#                                             their own in STATE_DIR, wait until the node is idle,
#                                             and write STATE_DIR/env (source it: SLURM_CONF=...)
#   scripts/slurm-cluster.sh stop STATE_DIR    kill what `start` started, by the pids it recorded
#
# Everything the daemons write (state, spool, logs, pid files) lives in STATE_DIR; the ports are
# free ones picked at start, so a cluster already on the machine is left alone. Needs root (the
# daemons run as SlurmUser=root; munged as the munge user, since it refuses to run as root).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop STATE_DIR" >&2
  exit 2
}

[ $# -eq 2 ] || usage
action=$1
state=$(realpath -m "$2")

# Prints a TCP port nobody listens on now (the kernel's pick for an ephemeral bind).
free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Kills the process whose pid is in file $1 (if it is alive) and waits up to 10 s for it to go.
kill_pidfile() {
  local file=$1 pid
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
}

stop_cluster() {
  # slurmd first: it owns the job steps still running (they die with it under proctrack/linuxproc).
  kill_pidfile "$state/slurmd.pid"
  kill_pidfile "$state/slurmctld.pid"
  # munged only when this script started it (a munged found running belongs to someone else).
  kill_pidfile "$state/munged.started.pid"
  rm -f "$state/munged.started.pid"
}

start_cluster() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$0: must run as root (the test cluster runs slurmctld/slurmd as root)" >&2
    exit 1
  fi
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    echo "installing slurm-wlm and munge with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq slurm-wlm munge >/dev/null; }
  fi
  mkdir -p "$state/state" "$state/spool"

  # munge: one daemon per machine serves every client through /run/munge's socket.
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    [ -s /etc/munge/munge.key ] || su -s /bin/sh munge -c 'mungekey --create' >/dev/null
    su -s /bin/sh munge -c munged
    for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.1; done
    cp /run/munge/munged.pid "$state/munged.started.pid"
    munge -n | unmunge >/dev/null || { echo "$0: munged did not start" >&2; exit 1; }
  fi

  local host cpus ctld_port slurmd_port
  host=$(hostname -s)
  cpus=$(nproc)
  ctld_port=$(free_port)
  slurmd_port=$(free_port)
  while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done

  # No accounting (no slurmdbd): job states come from squeue/scontrol, which keep finished jobs
  # for MinJobAge seconds, and from the jobs' own output files.
  cat >"$state/slurm.conf" <<EOF
ClusterName=shattertest
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$state/state
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MinJobAge=600
KillWait=10
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  echo "export SLURM_CONF='$state/slurm.conf'" >"$state/env"
  export SLURM_CONF="$state/slurm.conf"

  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 100); do
    if [ "$(sinfo -h -n "$host" -o %t 2>/dev/null)" = "idle" ]; then
      echo "slurm cluster up: node $host ($cpus CPUs), SLURM_CONF=$SLURM_CONF" >&2
      return 0
    fi
    sleep 0.2
  done
  echo "$0: node $host did not become idle within 20 s; slurmctld log tail:" >&2
  tail -n 20 "$state/slurmctld.log" "$state/slurmd.log" >&2 || true
  exit 1
}

case $action in
  start) start_cluster ;;
  stop) stop_cluster ;;
  *) usage ;;
esac
