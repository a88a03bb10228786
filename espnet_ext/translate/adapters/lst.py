"""Adapter for LST systems (``task: lst``, :mod:`espnet_ext.lst`): speech encoder, adapters and
a decoder-only Hugging Face LLM, decoded by ``espnet_ext.lst.inference.Speech2TextLST`` as
``espnet_ext.bin.lst_inference`` does (its batched search gives the results of batch-1
decoding, so segments are batched).

What the pack holds: the config, the checkpoint (adapters, and the LLM's LoRA or fine-tuned
weights from stage B; frozen parts are refilled from their models), and the speech encoder and
LLM named by ``frontend_conf`` and ``llm_conf`` (``name_or_path``, ``tokenizer_name_or_path``,
``path_or_url``: hub names or, with ``--self-contained``, copies); an ESPnet ASR frontend
(``frontend: espnet_asr``) as for connectors: its ``config.yaml`` packed as a nested experiment,
its weights (``asr_model_file``) recorded or, with ``--self-contained``, copied.

Decoding options (``inference.yaml``): ``beam_size``, ``max_new_tokens``, ``use_cache``,
``length_penalty``, ``backend``; lst_inference's data-loop options are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from espnet_ext.translate.adapters import SystemAdapter, decoding_options, pad_batch

if TYPE_CHECKING:
    import numpy as np

    from espnet_ext.translate.unpack import Pack

SEARCH_OPTIONS = ("beam_size", "max_new_tokens", "use_cache", "length_penalty", "backend")
LOOP_OPTIONS = ("batch_size", "ngpu", "num_workers", "fs", "log_level", "key_file")


class LSTAdapter(SystemAdapter):
    """Waveforms -> ``Speech2TextLST`` (greedy or beam search with the LLM)."""

    # an espnet_asr frontend's weights (its config.yaml is packed as a nested experiment)
    model_keys: ClassVar[tuple[str, ...]] = ("frontend_conf.asr_model_file",)

    def __init__(self, speech2text, device: str):
        self.speech2text = speech2text
        self.device = device

    @classmethod
    def load(cls, pack: Pack, device: str = "cpu", beam_size: int | None = None, **options):
        from espnet_ext.bin import prepare_espnet_task

        prepare_espnet_task("espnet_ext.lst.task", "LSTTask")
        from espnet_ext.lst.inference import Speech2TextLST

        kwargs = decoding_options(pack, SEARCH_OPTIONS, LOOP_OPTIONS)
        if beam_size is not None:
            kwargs["beam_size"] = beam_size
        speech2text = Speech2TextLST(pack.config_path, pack.model_path, device=device, **kwargs)
        return cls(speech2text, device)

    def translate_batch(self, waves: list[np.ndarray]) -> list[str]:
        speech, lengths = pad_batch(waves, "cpu")
        return self.speech2text(speech, lengths)
