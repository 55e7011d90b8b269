#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests that submit through the real sbatch.
#   ci/slurm-cluster.sh up     write slurm.conf for this host, start munged, slurmctld and slurmd, wait for the node
#   ci/slurm-cluster.sh down   stop the daemons `up` started (and only those), remove what it wrote
#   ci/slurm-cluster.sh status exit 0 when the node answers
# Needs root and Debian's slurmctld, slurmd, slurm-client and munge. `up` refuses to replace a slurm.conf it did
# not write; the daemons' state, logs and pid files live in $RESNET_REPRO_SLURM_STATE (default /var/tmp/resnet-repro-slurm).
set -euo pipefail

STATE="${RESNET_REPRO_SLURM_STATE:-/var/tmp/resnet-repro-slurm}"
CONF=/etc/slurm/slurm.conf
MARK="# written by resnet-repro ci/slurm-cluster.sh"

up() {
  for tool in munged slurmctld slurmd sinfo sbatch; do
    command -v "$tool" >/dev/null || { echo "slurm-cluster: $tool not found; install slurmctld slurmd slurm-client munge" >&2; exit 1; }
  done
  if sinfo -h -o '%T' 2>/dev/null | grep -Eqx 'idle|mixed|allocated|completing'; then
    echo "slurm-cluster: a cluster already answers (sinfo shows an idle node); using it"
    return
  fi
  if [ -e "$CONF" ] && ! grep -qxF "$MARK" "$CONF"; then
    echo "slurm-cluster: $CONF exists and was not written here; not replacing it" >&2
    exit 1
  fi
  local host cpus mem_mb
  host="$(hostname -s)"
  cpus="$(getconf _NPROCESSORS_ONLN)"  # not nproc: it follows OMP_NUM_THREADS, which a test may have set to 1
  mem_mb="$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 512 ))"  # what slurmd reports, less headroom
  mkdir -p "$STATE/ctld" "$STATE/spool" /etc/slurm
  cat >"$CONF" <<CONF
$MARK
ClusterName=resnetrepro
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
JobRequeue=1
# No accounting daemon: jobs are followed through squeue and the run folders, never sacct.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/slurmctld.log
SlurmdLogFile=$STATE/slurmd.log
# Finished jobs leave squeue after this many seconds (the tests read a job's end from its run folder).
MinJobAge=300
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
# Tests submit more one-CPU jobs than there are cores: they share the cores rather than wait.
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:8
# A partition that accepts jobs and never starts them: the tests' queued jobs wait there.
PartitionName=queued Nodes=$host Default=NO MaxTime=INFINITE State=DOWN
CONF
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if ! pgrep -u munge -x munged >/dev/null; then
    runuser -u munge -- munged
    echo munged >>"$STATE/started"
  fi
  slurmctld
  echo slurmctld >>"$STATE/started"
  slurmd
  echo slurmd >>"$STATE/started"
  for _ in $(seq 1 60); do
    if sinfo -h -o '%T' 2>/dev/null | grep -Eqx 'idle|mixed|allocated|completing'; then
      echo "slurm-cluster: node $host idle ($cpus CPUs, ${mem_mb} MB)"
      return
    fi
    sleep 0.5
  done
  echo "slurm-cluster: the node did not come up; see $STATE/slurmctld.log and $STATE/slurmd.log" >&2
  exit 1
}

stop_pid() {  # the daemon whose pid file is $1, stopped and waited for (its state is written on the way out)
  local pid
  [ -f "$1" ] || return 0
  pid="$(cat "$1")"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
}

down() {
  [ -f "$STATE/started" ] || { echo "slurm-cluster: nothing started here"; return; }
  for daemon in slurmd slurmctld; do
    if grep -qx "$daemon" "$STATE/started"; then
      stop_pid "$STATE/$daemon.pid"
    fi
  done
  if grep -qx munged "$STATE/started"; then
    stop_pid /run/munge/munged.pid
  fi
  if grep -qxF "$MARK" "$CONF" 2>/dev/null; then
    rm -f "$CONF"
  fi
  rm -rf "$STATE"
  echo "slurm-cluster: stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) sinfo -h -o '%T' 2>/dev/null | grep -Eqx 'idle|mixed|allocated|completing' ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
