#!/usr/bin/env bash
# A one-node SLURM cluster on localhost for tests/test_slurm.py, from Debian 12's packages, started
# by hand (no systemd). Partitions `cpu` (default) and `gpu` match profiles/slurm; the node declares
# one GPU GRES without a device file, so `sbatch --gpus=1` is scheduled although no GPU exists.
#
#   bash tests/hpc/slurm_cluster.sh start    # install if missing, configure, start, wait for an idle node
#   bash tests/hpc/slurm_cluster.sh stop     # stop every daemon it started, by PID, newest first
#
# Root only. State, logs and PID files live in $SLURM_DIR (default /tmp/vramscribe-slurm); only
# /etc/slurm/{slurm,gres,slurmdbd}.conf are written outside it, since clients and srun read them there.
# ACCOUNTING=0 skips MariaDB + slurmdbd: faster, but `sacct` fails, so the workflow then needs
# `--slurm-status-command squeue` (with the default sacct the plugin waits forever).
set -euo pipefail

SLURM_DIR=${SLURM_DIR:-/tmp/vramscribe-slurm}
ACCOUNTING=${ACCOUNTING:-1}
RUN=$SLURM_DIR/run
LOG=$SLURM_DIR/log
CLUSTER=vramscribe
DB_PASS=slurmtest

say() { echo "[slurm_cluster $(date +%T)] $*"; }
die() { echo "[slurm_cluster] error: $*" >&2; exit 1; }
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() {  # seconds command...: poll every 0.25 s until the command succeeds
    local tries=$(($1 * 4)); shift
    for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
    return 1
}

install_packages() {
    local packages="munge slurmctld slurmd slurm-client" missing=""
    [ "$ACCOUNTING" = 1 ] && packages="$packages slurmdbd mariadb-server"
    for package in $packages; do
        dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed || missing="$missing $package"
    done
    [ -n "$missing" ] || return 0
    command -v apt-get >/dev/null || die "apt-get not found; install: $packages"
    # the packages ship init.d scripts: keep dpkg from starting daemons on a machine without policy-rc.d
    local policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1
    fi
    say "apt-get install$missing"
    apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
    [ "$policy" = 0 ] || rm -f /usr/sbin/policy-rc.d
}

start_munge() {
    [ -s /etc/munge/munge.key ] || mungekey --create --keyfile=/etc/munge/munge.key
    mkdir -p /run/munge /var/lib/munge /var/log/munge
    chown munge:munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge
    chmod 400 /etc/munge/munge.key
    if alive /run/munge/munged.pid; then
        say "munged already running (pid $(cat /run/munge/munged.pid)): left alone"
    else
        rm -f /run/munge/munged.pid /run/munge/munge.socket.2*
        runuser -u munge -- /usr/sbin/munged
        cp /run/munge/munged.pid "$RUN/munged.pid"   # ours: `stop` ends it
    fi
    munge -n | unmunge >/dev/null || die "munge self-test failed"
}

write_config() {
    local node cpus mem accounting
    node=$(hostname -s)
    cpus=$(nproc)
    mem=$(free -m | awk '/^Mem:/ {print $2 - 512}')   # above what slurmd detects, the node is INVALID
    accounting="AccountingStorageType=accounting_storage/none"
    [ "$ACCOUNTING" = 1 ] && accounting="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
AccountingStorageTRES=gres/gpu"
    mkdir -p /etc/slurm
    cat >/etc/slurm/slurm.conf <<EOF
# written by vramscribe tests/hpc/slurm_cluster.sh; state in $SLURM_DIR
ClusterName=$CLUSTER
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
GresTypes=gpu
SchedulerType=sched/backfill
ReturnToService=2
MinJobAge=600
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=$LOG/slurmctld.log
SlurmdLogFile=$LOG/slurmd.log
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=$SLURM_DIR/spool
$accounting
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=ALL MaxTime=INFINITE State=UP
EOF
    echo "NodeName=$node Name=gpu File=/dev/null" >/etc/slurm/gres.conf
}

start_accounting() {
    local sock=$RUN/mysqld.sock
    mariadb-install-db --user=root --datadir="$SLURM_DIR/mysql" --auth-root-authentication-method=socket \
        >"$LOG/mariadb-install.log" 2>&1
    # mariadbd does not daemonize: setsid detaches it from the caller; it writes its own PID file
    setsid mariadbd --user=root --datadir="$SLURM_DIR/mysql" --socket="$sock" --pid-file="$RUN/mysqld.pid" \
        --bind-address=127.0.0.1 --port=3306 --log-error="$LOG/mariadb.err" --innodb-buffer-pool-size=64M \
        </dev/null >/dev/null 2>&1 &
    wait_for 30 mariadb-admin --socket="$sock" ping || die "mariadbd did not start: see $LOG/mariadb.err"
    mariadb --socket="$sock" -uroot <<EOF
CREATE DATABASE slurm_acct_db;
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
    # StorageHost=127.0.0.1 (not localhost) makes slurmdbd use TCP instead of the default socket path
    cat >/etc/slurm/slurmdbd.conf <<EOF
AuthType=auth/munge
DbdAddr=127.0.0.1
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=$LOG/slurmdbd.log
PidFile=$RUN/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=3306
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
    chmod 600 /etc/slurm/slurmdbd.conf   # slurmdbd refuses a readable one
    /usr/sbin/slurmdbd
    wait_for 30 sacctmgr -n show cluster || die "slurmdbd does not answer: see $LOG/slurmdbd.log"
    sacctmgr -i add cluster "$CLUSTER" >/dev/null   # before slurmctld starts
}

node_idle() { [ "$(sinfo -h -n "$(hostname -s)" -o %T 2>/dev/null)" = idle ]; }

start() {
    [ "$(id -u)" = 0 ] || die "must run as root"
    for name in slurmd slurmctld slurmdbd mysqld; do
        ! alive "$RUN/$name.pid" || die "$name already running (pid $(cat "$RUN/$name.pid")): run '$0 stop' first"
    done
    install_packages
    rm -rf "$SLURM_DIR"
    mkdir -p "$RUN" "$LOG" "$SLURM_DIR/state" "$SLURM_DIR/spool"
    trap '[ $? = 0 ] || stop >&2' EXIT   # a failed start leaves nothing running
    start_munge
    write_config
    [ "$ACCOUNTING" = 0 ] || start_accounting
    /usr/sbin/slurmctld -i   # daemonizes; -i: no saved state to read
    wait_for 20 sh -c 'scontrol ping | grep -q UP' || die "slurmctld not up: see $LOG/slurmctld.log"
    /usr/sbin/slurmd -N "$(hostname -s)"
    wait_for 30 node_idle || { sinfo -N -l >&2; die "node not idle: see $LOG/slurmd.log"; }
    trap - EXIT
    say "cluster up (accounting=$ACCOUNTING):"
    sinfo
}

stop() {
    if alive "$RUN/slurmctld.pid"; then scancel --user=root --quiet 2>/dev/null || true; fi
    for name in slurmd slurmctld slurmdbd mysqld munged; do
        local file=$RUN/$name.pid pid
        alive "$file" || { rm -f "$file"; continue; }
        pid=$(cat "$file")
        kill -TERM "$pid"
        wait_for 20 sh -c "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
        rm -f "$file"
        say "stopped $name (pid $pid)"
    done
    # Snakemake's SLURM plugin runs scontrol at every start: against a stopped controller each call
    # retries for 9 s unless the timeout is short (`start` writes the file afresh)
    if head -1 /etc/slurm/slurm.conf 2>/dev/null | grep -q "written by vramscribe"; then
        printf '# the cluster is stopped\nMessageTimeout=1\n' >>/etc/slurm/slurm.conf
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: $0 start|stop" ;;
esac
