"""Session-wide fixtures shared across test packages."""

from tests.fixtures.slurm_cluster import slurm_cluster  # noqa: F401
