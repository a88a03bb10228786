"""`python -m espnet_ext.bin.discrete_train`: train a discrete-unit ST/MT model
(`espnet_ext.discrete.task.DiscreteSTTask`: AED, CTC, CTC/attention or RNN-T, chosen by the config)
with ESPnet's trainer, this package's classes registered and crash-safe checkpoints."""

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.registry import register
from espnet_ext.training import install


def main(cmd=None) -> None:
    quiet_espnet_import()
    register()
    from espnet_ext.discrete.task import DiscreteSTTask

    install(DiscreteSTTask)
    DiscreteSTTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
