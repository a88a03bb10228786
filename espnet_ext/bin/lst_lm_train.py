"""`python -m espnet_ext.bin.lst_lm_train`: LST's tiny LLaMA LM as a stage-pipeline task (``lst_lm``):
ESPnet-style options in, ``EXP/hf_model`` (Hugging Face directory) out. See
``espnet_ext.lst.lm_task``."""

from espnet_ext.lst.lm_task import main

if __name__ == "__main__":
    main()
