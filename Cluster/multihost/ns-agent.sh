#!/bin/sh
# OpenMPI's remote launcher for the netns test bed (netns.sh passes it as plm_rsh_agent).
# Called as `ns-agent.sh [ssh options] HOST COMMAND...` like ssh: skips leading options,
# maps HOST (10.77.0.1I or hI) to the namespace <prefix>hI and runs COMMAND there with a
# per-host TMPDIR and shared-memory directory (every namespace has the same hostname, so
# session and shared-memory files of two "hosts" would otherwise collide).
P=${NETNS_PREFIX:-cmh}
TMP=${NETNS_TMP:-/tmp/${P}-netns}
while [ $# -gt 0 ]; do
    case "$1" in
        -*) shift ;;
        *) break ;;
    esac
done
host=$1; shift
case "$host" in
    10.77.0.1[0-9]) i=${host#10.77.0.1} ;;
    h[0-9]) i=${host#h} ;;
    *) echo "ns-agent.sh: unknown host '$host'" >&2; exit 255 ;;
esac
mkdir -p "$TMP/h$i"
exec ip netns exec "${P}h$i" env TMPDIR="$TMP/h$i" OMPI_MCA_btl_vader_backing_directory="$TMP/h$i" sh -c "$*"
