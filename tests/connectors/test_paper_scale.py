"""Paper-scale models on the meta device: counts from the published configs, connector share."""

from __future__ import annotations

import pytest

from espnet_ext.connectors import paper_scale


def ste_formula(d_in, d_out, channels=1024, k=5, h=256, blocks=6, ffn=2048):
    conv = d_in * 2 * channels * k + 2 * channels + channels * 2 * h * k + 2 * h
    layer = 4 * (h * h + h) + (h * ffn + ffn + ffn * h + h) + 2 * 2 * h
    return conv + blocks * layer + 2 * h + h * d_out + d_out


def qformer_formula(d_in, d_out, queries=80, h=256, blocks=6, ffn=2048):
    layer = 8 * (h * h + h) + (h * ffn + ffn + ffn * h + h) + 3 * 2 * h
    inputs = queries * h + 2 * d_in + d_in * h + h
    return inputs + blocks * layer + 2 * h + h * d_out + d_out


@pytest.mark.parametrize("d_in, d_out", [(768, 1024), (256, 768)])
def test_connector_sizes_match_the_formulas(d_in, d_out):
    ste = paper_scale.build_connector("ste", d_in, d_out)
    qformer = paper_scale.build_connector("qformer", d_in, d_out)
    assert all(p.device.type == "meta" for p in ste.parameters())
    assert paper_scale.count(ste) == ste_formula(d_in, d_out)
    assert paper_scale.count(qformer) == qformer_formula(d_in, d_out)


def test_published_models_build_on_meta_with_their_known_sizes():
    t5 = paper_scale.build_mt("t5-base")
    assert all(p.device.type == "meta" for p in t5.parameters())
    assert paper_scale.count(t5) == 222_903_552  # t5-base's published parameter count
    encoder, whisper, width = paper_scale.build_asr("whisper-small.en")
    assert width == 768 and len(encoder.layers) == 12
    # whisper-small has 241,734,912; the English-only vocabulary is one 768-wide row smaller
    assert paper_scale.count(whisper) == 241_734_912 - 768
    marian = paper_scale.build_mt("opus-mt-tc-big-en-pt")
    assert marian.config.d_model == 1024 and marian.config.encoder_layers == 6
    # Marian ties the output layer and both embeddings to one (vocab x d_model) matrix
    assert marian.get_output_embeddings().weight is marian.get_input_embeddings().weight
    encoder, _, width = paper_scale.build_asr("e-branchformer-12")
    assert width == 256 and len(encoder.encoders) == 12


def test_connector_share_of_the_aligned_models_is_below_5_percent():
    rows = paper_scale.connector_share()
    assert len(rows) == 8
    for row in rows:
        share = 100 * row["connector_params"] / row["aligned_params"]
        assert row["share_of_aligned_pct"] == pytest.approx(share, abs=0.01)
        assert row["share_of_aligned_pct"] < 5.0, row
        assert row["system_params"] == (
            row["connector_params"] + row["asr_encoder_params"] + row["mt_model_params"]
        )
