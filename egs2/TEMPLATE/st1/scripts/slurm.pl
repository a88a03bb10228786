#!/usr/bin/env bash
# espnet2.bin.launch submits multi-node training through a command whose file name is `slurm.pl`;
# this is that command: the toolkit's Slurm backend (espnet_ext.bin.run_jobs --backend slurm).
exec python -m espnet_ext.bin.run_jobs --backend slurm "$@"
