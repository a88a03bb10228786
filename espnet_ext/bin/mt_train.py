"""`python -m espnet_ext.bin.mt_train`: ESPnet's `espnet2.bin.mt_train` with this package's classes registered."""

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.registry import register


def main(cmd=None) -> None:
    quiet_espnet_import()
    register()
    from espnet2.bin.mt_train import main as espnet_main

    espnet_main(cmd)


if __name__ == "__main__":
    main()
