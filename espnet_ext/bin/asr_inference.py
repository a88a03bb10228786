"""`python -m espnet_ext.bin.asr_inference`: ESPnet's `espnet2.bin.asr_inference` with this package's
classes registered, with weights-only model loading (`espnet_ext.training`)."""

from espnet_ext.bin import prepare_espnet_task

# at import time: ESPnet's DDP workers re-import this module without calling main()
prepare_espnet_task("espnet2.tasks.asr", "ASRTask")


def main(cmd=None) -> None:
    from espnet2.bin.asr_inference import main as espnet_main

    espnet_main(cmd)


if __name__ == "__main__":
    main()
