"""`python -m espnet_ext.bin.connector_train`: train a connector between a frozen speech encoder
and a frozen Hugging Face MT model with ESPnet's trainer (see ``espnet_ext.connectors.task``)."""

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.registry import register


def main(cmd=None) -> None:
    quiet_espnet_import()
    register()
    from espnet_ext.connectors.task import ConnectorSTTask

    ConnectorSTTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
