"""Parameter counts of the paper-scale systems, built on the meta device (no weights, no download).

The frozen models are instantiated from the published configurations kept in
``conf/hf_configs/`` (Whisper small.en, opus-mt-tc-big-en-pt, T5-base) and, for the ESPnet side,
a 12-layer E-Branchformer ASR model with the sizes of ESPnet's 256-wide E-Branchformer recipes
(BPE 8000, as the How2 ASR stage uses); the connectors have the sizes of the authors' code.
:func:`connector_share` reports how much of each aligned system the connector is;
``bench/bench_connectors_params.py`` writes the table."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from espnet_ext.connectors.qformer import QFormerConnector
from espnet_ext.connectors.ste import STEConnector

CONFIG_DIR = Path(__file__).resolve().parents[2] / "conf" / "hf_configs"
ASR_MODELS = {
    "whisper-small.en": "whisper-small.en.json",
    "e-branchformer-12": "espnet-e-branchformer-how2.json",
}
MT_MODELS = {"opus-mt-tc-big-en-pt": "opus-mt-tc-big-en-pt.json", "t5-base": "t5-base.json"}
CONNECTORS = {"qformer": QFormerConnector, "ste": STEConnector}


def count(module: torch.nn.Module) -> int:
    """Parameters of ``module``; tied weights count once (``parameters()`` deduplicates)."""
    return sum(p.numel() for p in module.parameters())


def _load(name: str) -> dict:
    return json.loads((CONFIG_DIR / name).read_text(encoding="utf-8"))


def build_asr(name: str) -> tuple[torch.nn.Module, torch.nn.Module, int]:
    """``(encoder, full model, encoder width)`` of a paper-scale ASR model, on the meta device."""
    conf = _load(ASR_MODELS[name])
    with torch.device("meta"):
        if name.startswith("whisper"):
            from transformers import WhisperConfig, WhisperModel

            model = WhisperModel(WhisperConfig.from_dict(conf))
            return model.encoder, model, model.config.d_model
        from espnet2.asr.ctc import CTC
        from espnet2.asr.decoder.transformer_decoder import TransformerDecoder
        from espnet2.asr.encoder.e_branchformer_encoder import EBranchformerEncoder

        encoder = EBranchformerEncoder(conf["frontend_conf"]["n_mels"], **conf["encoder_conf"])
        width = encoder.output_size()
        decoder = TransformerDecoder(conf["vocab_size"], width, **conf["decoder_conf"])
        ctc = CTC(conf["vocab_size"], width)
        full = torch.nn.ModuleDict(dict(encoder=encoder, decoder=decoder, ctc=ctc))
        return encoder, full, width


def build_mt(name: str) -> torch.nn.Module:
    """A paper-scale Hugging Face MT model on the meta device."""
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    conf = _load(MT_MODELS[name])
    config = AutoConfig.for_model(conf.pop("model_type"), **conf)
    with torch.device("meta"):
        return AutoModelForSeq2SeqLM.from_config(config)


def build_connector(kind: str, input_size: int, output_size: int) -> torch.nn.Module:
    """A connector at the authors' sizes (the classes' defaults), on the meta device."""
    with torch.device("meta"):
        return CONNECTORS[kind](input_size, output_size)


def connector_share() -> list[dict]:
    """One row per (ASR, MT, connector) with parameter counts and the connector's share.

    ``system_params`` is what the connector model holds (ASR encoder + connector + the whole MT
    model, the count ESPnet's trainer logs; ECD does not run the MT encoder, ECED does);
    ``aligned_params`` counts the full pretrained models (ASR encoder *and* decoder) + connector.
    """
    rows = []
    for asr_name in ASR_MODELS:
        encoder, asr_full, width = build_asr(asr_name)
        n_encoder, n_asr = count(encoder), count(asr_full)
        for mt_name in MT_MODELS:
            mt = build_mt(mt_name)
            n_mt = count(mt)
            n_mt_encoder = count(mt.get_encoder()) - count(mt.get_input_embeddings())
            for kind in CONNECTORS:
                n_conn = count(build_connector(kind, width, mt.config.d_model))
                system = n_conn + n_encoder + n_mt
                aligned = n_conn + n_asr + n_mt
                rows.append(
                    {
                        "asr": asr_name,
                        "mt": mt_name,
                        "connector": kind,
                        "connector_params": n_conn,
                        "asr_encoder_params": n_encoder,
                        "asr_model_params": n_asr,
                        "mt_model_params": n_mt,
                        "mt_encoder_params_excl_embeddings": n_mt_encoder,
                        "system_params": system,
                        "aligned_params": aligned,
                        "share_of_system_pct": round(100.0 * n_conn / system, 2),
                        "share_of_aligned_pct": round(100.0 * n_conn / aligned, 2),
                    }
                )
    return rows
