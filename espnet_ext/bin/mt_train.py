"""`python -m espnet_ext.bin.mt_train`: ESPnet's `espnet2.bin.mt_train` with this package's
classes registered, with crash-safe checkpoints (`espnet_ext.training`)."""

from espnet_ext.bin import prepare_espnet_task

# at import time: ESPnet's DDP workers re-import this module without calling main()
prepare_espnet_task("espnet2.tasks.mt", "MTTask")


def main(cmd=None) -> None:
    from espnet2.bin.mt_train import main as espnet_main

    espnet_main(cmd)


if __name__ == "__main__":
    main()
