"""`python -m espnet_ext.bin.hf_mt_train`: train the recipe's Marian MT model (task ``hf_mt``)
with ESPnet's trainer (see ``espnet_ext.connectors.hf_mt_task``)."""

from espnet_ext.bin import quiet_espnet_import


def main(cmd=None) -> None:
    quiet_espnet_import()
    from espnet_ext.connectors.hf_mt_task import HFMTTask

    HFMTTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
