"""`python -m espnet_ext.bin.lst_train`: train LST (speech encoder + adapters + causal LLM) with
ESPnet's trainer. Stage A: ``llm_conf: {finetune: none}``; stage B: ``finetune: full|lora`` and
``--init_param <stage A checkpoint>``. See ``espnet_ext.lst.task`` for the YAML keys."""

from espnet_ext.bin import quiet_espnet_import
from espnet_ext.registry import register


def main(cmd=None) -> None:
    quiet_espnet_import()
    register()
    from espnet_ext.lst.task import LSTTask

    LSTTask.main(cmd=cmd)


if __name__ == "__main__":
    main()
