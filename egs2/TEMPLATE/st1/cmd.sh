# Job launching. cmd_backend chooses where jobs run; commands are written
#   ${train_cmd} JOB=1:N exp/log/x.JOB.log python -m ...
# local: the N jobs run on this machine, at most nproc at a time.
# slurm: one sbatch job array; options (--mem, --gpu, --time, --num_threads) map to sbatch options
#        through conf/slurm.yaml at the repo root (edit partitions there for your cluster).
cmd_backend=${CMD_BACKEND:-local}
case ${cmd_backend} in
    local)
        export train_cmd="python -m espnet_ext.bin.run_jobs --backend local"
        export cuda_cmd="python -m espnet_ext.bin.run_jobs --backend local"
        export decode_cmd="python -m espnet_ext.bin.run_jobs --backend local"
        ;;
    slurm)
        _slurm="python -m espnet_ext.bin.run_jobs --backend slurm --config ${ESPNET_EXT_ROOT}/conf/slurm.yaml"
        export train_cmd="${_slurm} --mem 4G"
        export cuda_cmd="${_slurm} --mem 16G"
        export decode_cmd="${_slurm} --mem 4G"
        ;;
    *)
        echo "cmd.sh: unknown cmd_backend '${cmd_backend}' (local | slurm)" >&2
        return 1
        ;;
esac
