#!/usr/bin/env bash
# local-cluster.sh: a throw-away one-node Slurm on this machine, for tests.
#
# Usage (as root):  scripts/slurm/local-cluster.sh COMMAND [ARGS...]
#
# Starts a private munged, slurmctld and slurmd (configuration, state and
# logs in a temporary folder; nothing under /etc or /run is touched), runs
# COMMAND once with SLURM_CONF exported (so it can call sbatch, squeue,
# scontrol), then stops the three daemons by their PIDs and removes the
# folder. The exit status is COMMAND's. Needs Debian's `slurm-wlm` and
# `munge` (`apt-get install slurm-wlm munge`); with LOCAL_SLURM_KEEP=1 the
# folder is kept for debugging.
set -euo pipefail

say() { echo "[local-cluster] $*" >&2; }
fail() { say "error: $*"; exit 1; }

[ $# -ge 1 ] || fail "usage: $0 COMMAND [ARGS...]"
[ "$(id -u)" -eq 0 ] || fail "run as root (slurmd starts jobs as root here)"
for exe in /usr/sbin/munged /usr/sbin/mungekey /usr/sbin/slurmctld /usr/sbin/slurmd \
           /usr/bin/sbatch /usr/bin/squeue /usr/bin/sinfo; do
  [ -x "$exe" ] || fail "$exe is missing: apt-get install slurm-wlm munge"
done

DIR=$(mktemp -d /tmp/slackvm-slurm.XXXXXX)
chmod 755 "$DIR"
mkdir -p -m 755 "$DIR/munge"
mkdir -p -m 700 "$DIR/munge/key"
mkdir -p "$DIR/state" "$DIR/spool" "$DIR/log"
export SLURM_CONF="$DIR/slurm.conf"
MUNGE_PID="" CTLD_PID="" SLURMD_PID=""

stop() { # stop PID NAME: SIGTERM, up to 10 s, then SIGKILL
  local pid=$1 name=$2
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  say "$name ($pid) still running: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

finish() {
  local rc=$?
  set +e
  if [ -n "$CTLD_PID" ] && kill -0 "$CTLD_PID" 2>/dev/null; then
    jobs_left=$(squeue -h -o %A 2>/dev/null | sort -u)
    [ -n "$jobs_left" ] && scancel $jobs_left
  fi
  stop "$SLURMD_PID" slurmd
  stop "$CTLD_PID" slurmctld
  stop "$MUNGE_PID" munged
  if [ $rc -ne 0 ]; then
    for f in "$DIR"/log/*.log; do [ -s "$f" ] && { echo "--- $f" >&2; tail -n 12 "$f" >&2; }; done
  fi
  if [ "${LOCAL_SLURM_KEEP:-0}" = 1 ]; then say "kept $DIR"; else rm -rf "$DIR"; fi
  exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

# Two free loopback ports for slurmctld and slurmd.
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=17817
while busy $PORT || busy $((PORT + 1)); do
  PORT=$((PORT + 2))
  [ $PORT -lt 17917 ] || fail "no free port pair in 17817..17917"
done

/usr/sbin/mungekey -c -k "$DIR/munge/key/munge.key"
/usr/sbin/munged -F -S "$DIR/munge/socket" --key-file="$DIR/munge/key/munge.key" \
  --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/key/seed" \
  --log-file="$DIR/log/munged.log" </dev/null >/dev/null 2>&1 &
MUNGE_PID=$!
for _ in $(seq 50); do [ -S "$DIR/munge/socket" ] && break; sleep 0.1; done
[ -S "$DIR/munge/socket" ] || fail "munged did not start"

NODE=$(hostname -s)
LAYOUT=$(/usr/sbin/slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //')
cat >"$SLURM_CONF" <<EOF
ClusterName=slackvm-test
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/socket
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/slurmctld.pid
SlurmdPidFile=$DIR/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerParameters=batch_sched_delay=0
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=600
NodeName=$NODE NodeAddr=127.0.0.1 $LAYOUT State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

/usr/sbin/slurmctld -D -i </dev/null >"$DIR/log/slurmctld.out" 2>&1 &
CTLD_PID=$!
/usr/sbin/slurmd -D -N "$NODE" </dev/null >"$DIR/log/slurmd.out" 2>&1 &
SLURMD_PID=$!
state=""
for _ in $(seq 150); do
  kill -0 "$CTLD_PID" 2>/dev/null || fail "slurmctld exited"
  kill -0 "$SLURMD_PID" 2>/dev/null || fail "slurmd exited"
  state=$(sinfo -h -n "$NODE" -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.2
done
[ "$state" = idle ] || fail "node $NODE never became idle (state '$state')"
say "one-node Slurm up (node $NODE, ports $PORT/$((PORT + 1)))"

set +e
"$@"
rc=$?
set -e
say "command exited $rc"
exit $rc
