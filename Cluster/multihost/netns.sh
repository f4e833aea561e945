#!/bin/bash
# A multi-host MPI test bed on one machine: N network namespaces ("hosts" h1..hN, addresses
# 10.77.0.11 .. 10.77.0.1N) joined by veth links to a bridge in a "switch" namespace, so the
# machine's own network is untouched and nothing can leave it (no default route). mpirun runs
# in h1 and starts its daemons in the other namespaces through ns-agent.sh, which replaces
# OpenMPI's ssh launcher (plm_rsh_agent); ranks talk TCP over the veth links.
# Needs root and iproute2 (`ip netns`). See Cluster/README.md and /work/shared/notes/multihost.md.
#
# usage:
#   netns.sh check                       exit 0 when namespaces can be made here, else say why (exit 1)
#   netns.sh up N                        create the switch and N hosts (2..4)
#   netns.sh down                        kill what runs inside them, delete them and the temp folder
#   netns.sh run N [-s SLOTS] -- MPIRUN_ARGS...
#                                        up N, mpirun (in h1, hostfile of the N hosts with SLOTS slots
#                                        each) with the settings below plus MPIRUN_ARGS, then down
#                                        (also on error or signal); exits with mpirun's status
#   netns.sh cut I | mend I              take host I's link down / up (from any shell, while `run` runs)
#   netns.sh exec I CMD...               run CMD inside host I's namespace
#
# Environment: NETNS_PREFIX (default "cmh"; names the namespaces, so several test beds can
# coexist), NETNS_TMP (per-host TMPDIRs; default /tmp/<prefix>-netns).
set -u
P=${NETNS_PREFIX:-cmh}
TMP=${NETNS_TMP:-/tmp/${P}-netns}
SUBNET=10.77.0.0/24
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "netns.sh: $*" >&2; exit 1; }
host_ip() { echo "10.77.0.1$1"; }

check() {
    [ "${EUID:-$(id -u)}" = 0 ] || { echo "not root (network namespaces need CAP_SYS_ADMIN)"; return 1; }
    command -v ip >/dev/null 2>&1 || { echo "no 'ip' command (iproute2)"; return 1; }
    command -v mpirun >/dev/null 2>&1 || { echo "no mpirun"; return 1; }
    local probe="${P}probe$$"
    if ! err=$(ip netns add "$probe" 2>&1); then echo "cannot create a network namespace: $err"; return 1; fi
    if ! err=$(ip -n "$probe" link add vprobe type veth peer name vprobe2 2>&1); then
        ip netns del "$probe" 2>/dev/null; echo "cannot create veth links: $err"; return 1
    fi
    ip netns del "$probe"
    return 0
}

up() {
    local n=$1 i
    [[ "$n" =~ ^[2-4]$ ]] || die "up: 2 to 4 hosts, not '$n'"
    down 2>/dev/null
    ip netns add "${P}sw" || die "cannot create namespace ${P}sw"
    ip -n "${P}sw" link add br0 type bridge
    ip -n "${P}sw" link set br0 up
    ip -n "${P}sw" link set lo up
    for i in $(seq 1 "$n"); do
        ip netns add "${P}h$i"
        ip -n "${P}sw" link add "v$i" type veth peer name eth1 netns "${P}h$i"
        ip -n "${P}sw" link set "v$i" master br0
        ip -n "${P}sw" link set "v$i" up
        ip -n "${P}h$i" addr add "$(host_ip "$i")/24" dev eth1
        ip -n "${P}h$i" link set eth1 up
        ip -n "${P}h$i" link set lo up
        mkdir -p "$TMP/h$i"
    done
    : > "$TMP/hostfile"
    for i in $(seq 1 "$n"); do echo "$(host_ip "$i") slots=${SLOTS:-1}" >> "$TMP/hostfile"; done
    # Wait until h1 reaches every host (the bridge needs a moment to forward).
    if command -v ping >/dev/null 2>&1; then
        for i in $(seq 2 "$n"); do
            for _ in $(seq 1 50); do
                ip netns exec "${P}h1" ping -c 1 -W 1 "$(host_ip "$i")" >/dev/null 2>&1 && break
                sleep 0.1
            done
        done
    else
        sleep 1
    fi
}

down() {
    local ns pid
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${P}(h[0-9]+|sw)$"); do
        # Processes started in the test bed (daemons, ranks) would outlive their namespace's name.
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$TMP"
}

run() {
    local n=$1; shift
    SLOTS=1
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        case "$1" in
            -s) SLOTS=$2; shift 2 ;;
            *) die "run: unknown option '$1' (MPIRUN_ARGS go after --)" ;;
        esac
    done
    [ "${1:-}" = "--" ] && shift
    trap 'down' EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    up "$n"
    export NETNS_PREFIX="$P" NETNS_TMP="$TMP"
    # mpirun in h1. The keepalive settings of the control channel make a cut link fail the job
    # in seconds (rank-to-rank TCP has no keepalive in OpenMPI 4.1 and would hang for minutes);
    # sigkill timeout 0 ends the ranks at once; bind-to none because every namespace believes
    # it owns the machine.
    ip netns exec "${P}h1" env TMPDIR="$TMP/h1" mpirun --allow-run-as-root --oversubscribe \
        --hostfile "$TMP/hostfile" \
        --mca plm_rsh_agent "$HERE/ns-agent.sh" --mca plm_rsh_no_tree_spawn 1 \
        --mca btl tcp,vader,self --mca btl_tcp_if_include "$SUBNET" --mca oob_tcp_if_include "$SUBNET" \
        --mca oob_tcp_keepalive_time 1 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 2 \
        --mca odls_base_sigkill_timeout 0 \
        --bind-to none --mca mpi_yield_when_idle 1 \
        "$@"
}

cmd=${1:-}; shift || true
case "$cmd" in
    check) check ;;
    up) up "${1:?up N}" ;;
    down) down ;;
    run) run "${1:?run N -- MPIRUN_ARGS}" "${@:2}" ;;
    cut) ip -n "${P}sw" link set "v${1:?cut I}" down ;;
    mend) ip -n "${P}sw" link set "v${1:?mend I}" up ;;
    exec) i=${1:?exec I CMD}; shift; exec ip netns exec "${P}h$i" "$@" ;;
    *) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 2 ;;
esac
