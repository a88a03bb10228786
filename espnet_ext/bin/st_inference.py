"""`python -m espnet_ext.bin.st_inference`: ESPnet's `espnet2.bin.st_inference` with this package's
classes registered, with weights-only model loading (`espnet_ext.training`)."""

from espnet_ext.bin import prepare_espnet_task

# at import time: ESPnet's DDP workers re-import this module without calling main()
prepare_espnet_task("espnet2.tasks.st", "STTask")


def main(cmd=None) -> None:
    from espnet2.bin.st_inference import main as espnet_main

    espnet_main(cmd)


if __name__ == "__main__":
    main()
