"""Job launching for recipes' cmd.sh (``python -m espnet_ext.bin.run_jobs``).

``jobs`` expands ``JOB=1:N LOG CMD`` into tasks, ``logs`` writes and reads the log header/footer,
``task`` runs one job, ``local`` and ``slurm`` are the two backends, ``run`` ties them together
and ``report`` phrases failures.
"""
