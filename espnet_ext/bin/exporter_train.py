"""`python -m espnet_ext.bin.exporter_train`: train an exporter between an ASR and an MT experiment
with ESPnet's trainer (see espnet_ext.exporter.task), with crash-safe checkpoints."""

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.registry import register
from espnet_ext.training import install


def main(cmd=None) -> None:
    quiet_espnet_import()
    register()
    from espnet_ext.exporter.task import ExporterTask

    install(ExporterTask)  # crash-safe checkpoints, weights-only loads
    ExporterTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
