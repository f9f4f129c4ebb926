#!/usr/bin/env bash
# A single-node SLURM cluster on localhost, for the tests (no systemd needed).
#   cluster.sh install     install munge and SLURM from Debian packages (root)
#   cluster.sh start DIR   start munged, slurmctld and slurmd with state under DIR
#   cluster.sh stop DIR    stop the daemons started in DIR, by their pid files, and remove the
#                          configuration written by start
# The configuration goes to /etc/slurm/slurm.conf, where jobs' own srun calls find it; a
# configuration this script did not write is never replaced (exit 3: not a test machine). Left
# behind, it would make every later Snakemake start wait 9 s: the SLURM executor plugin asks
# `scontrol show config`, which retries the stopped controller.
set -euo pipefail
CONF=/etc/slurm/slurm.conf
MARKER="# written by popsbi tests/slurm/cluster.sh"

install() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && return
    # Keep the packages' post-install scripts from starting daemons (there is no systemd).
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' RETURN
    packages="slurmctld slurmd slurm-client munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages \
        || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages; }
}

munge_dir() {
    # munged runs as user munge, which cannot enter private directories such as pytest's:
    # its files live in a directory of its own, named after the cluster directory.
    echo "/tmp/popsbi-munge-$(realpath -m "$1" | md5sum | cut -c1-12)"
}

start() {
    local dir=$1 munge
    munge=$(munge_dir "$dir")
    mkdir -p "$dir"/{spool,state,log} "$munge"
    chown munge:munge "$munge"
    if [ ! -s /etc/munge/munge.key ]; then
        mungekey --create --keyfile=/etc/munge/munge.key
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
    runuser -u munge -- munged --socket="$munge/munge.socket" --pid-file="$munge/munged.pid" \
        --log-file="$munge/munged.log" --seed-file="$munge/munged.seed"
    if [ -e "$CONF" ] && ! grep -qF "$MARKER" "$CONF"; then
        echo "$CONF exists and was not written by this script: not touching a real cluster" >&2
        exit 3
    fi
    mkdir -p /etc/slurm
    local cpus memory
    cpus=$(nproc)
    memory=$(( $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
    cat > "$CONF" <<SETTINGS
$MARKER
ClusterName=popsbi-test
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MinJobAge=600
ReturnToService=2
SlurmctldPidFile=$dir/state/slurmctld.pid
SlurmdPidFile=$dir/state/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=main Nodes=localhost Default=YES MaxTime=INFINITE State=UP
# Stands for a GPU partition (this node has no GPU): the profile sends training jobs here.
PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP
SETTINGS
    slurmctld -i
    slurmd -N localhost
    for _ in $(seq 60); do
        if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
            return
        fi
        sleep 0.5
    done
    echo "SLURM did not become ready; see $dir/log" >&2
    sinfo >&2 || true
    exit 1
}

stop() {
    local dir=$1
    for pidfile in "$dir/state/slurmd.pid" "$dir/state/slurmctld.pid" "$(munge_dir "$dir")/munged.pid"; do
        if [ -s "$pidfile" ]; then
            local pid
            pid=$(cat "$pidfile")
            kill "$pid" 2>/dev/null || continue
            for _ in $(seq 40); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.25
            done
        fi
    done
    if [ -e "$CONF" ] && grep -qF "$MARKER" "$CONF"; then
        rm "$CONF"
    fi
}

case ${1:-} in
    install) install ;;
    start) start "$2" ;;
    stop) stop "$2" ;;
    *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
