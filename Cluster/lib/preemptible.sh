# Sourced by the batch scripts in Cluster/slurm and Cluster/pbs (bash).
#
# run_preemptible CMD...   runs CMD (mpirun or srun ...) in the background and forwards a stop
#                          request to it as SIGUSR1: OpenMPI's mpirun and Slurm's srun pass
#                          SIGUSR1 on to every rank, each rank finishes its step, rank 0 writes
#                          a checkpoint, and cocoop exits 75. Returns CMD's exit status.
#                          (SIGTERM to mpirun itself would make it kill the ranks at once.)
# requeue_if_preempted RC  on 75 asks the batch system to requeue this job (Slurm:
#                          scontrol requeue; PBS: qrerun), so that it restarts and resumes.
# cocoop_mpirun_flags      the OpenMPI settings every cocoop job should use (see README.md).
#
# The scripts also read MAP (mpirun --map-by, default slot:PE=<cpus per rank>), BIND
# (--bind-to, default core) and MPIRUN_EXTRA (more mpirun flags), and COCOOP (the binary,
# default .build/release/cocoop).

run_preemptible() {
    "$@" &
    local child=$!
    # --signal=B:USR1@120 (Slurm) or a SIGTERM before the kill (PBS, scancel --batch) lands
    # here, in the batch shell; pass it on as USR1.
    trap "echo \"\$(date -Is) stop requested: forwarding SIGUSR1 to $child\" >&2; kill -USR1 $child 2>/dev/null" USR1 TERM INT
    local rc
    while true; do
        wait "$child"
        rc=$?
        # wait returns early (status > 128) when a trapped signal arrives; keep waiting.
        kill -0 "$child" 2>/dev/null || break
    done
    trap - USR1 TERM INT
    return "$rc"
}

requeue_if_preempted() {
    local rc=$1
    [ "$rc" = 75 ] || return 0
    if [ -n "${SLURM_JOB_ID:-}" ]; then
        local id=$SLURM_JOB_ID
        [ -n "${SLURM_ARRAY_JOB_ID:-}" ] && id="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
        echo "$(date -Is) stopped with a checkpoint (exit 75): requeueing job $id" >&2
        scontrol requeue "$id"
    elif [ -n "${PBS_JOBID:-}" ]; then
        echo "$(date -Is) stopped with a checkpoint (exit 75): rerunning job $PBS_JOBID" >&2
        qrerun "$PBS_JOBID"
    fi
}

# OpenMPI settings: control-channel keepalive so that a dead node or cut link ends the job in
# seconds instead of hanging for minutes (rank-to-rank TCP has no keepalive in OpenMPI 4.1),
# no grace period before killing the ranks of a failed job, and one BLAS thread count
# forwarded to every rank.
cocoop_mpirun_flags() {
    echo "--mca oob_tcp_keepalive_time 1 --mca oob_tcp_keepalive_intvl 1 --mca oob_tcp_keepalive_probes 2" \
         "--mca odls_base_sigkill_timeout 0 -x OPENBLAS_NUM_THREADS"
}
