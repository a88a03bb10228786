"""The recipe's model configs, paper scale (conf/tuning) and mini (conf/mini), build the model
each names with the discrete task: the architecture its decoder and CTC weight select, and the
encoder and decoder depths and widths the config asks for. Only the pretrained-text-model AED is
left out: it loads a trained model by path (tests/discrete/test_hf_seq2seq.py covers that path)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from tests.discrete.conftest import task_args

RECIPE = Path(__file__).parents[2] / "egs2/mustc_discrete/st1"
# each config file is named after the architecture its model reports
ARCHITECTURES = ("aed", "ctc", "ctc_att", "rnnt")

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("family", ["mini", "tuning"])
@pytest.mark.parametrize("name", ARCHITECTURES)
def test_recipe_config_builds_its_architecture(task, toy_corpus, tmp_path, family, name):
    conf = yaml.safe_load((RECIPE / "conf" / family / f"discrete_{name}.yaml").read_text())
    torch.manual_seed(0)
    model = task.build_model(task_args(task, toy_corpus, tmp_path, conf))

    assert model.architecture == name
    enc = conf["encoder_conf"]
    assert len(model.encoder.encoders) == enc["num_blocks"]
    assert model.encoder.output_size() == enc["output_size"]
    if conf["decoder"] == "transformer":
        assert len(model.decoder.decoders) == conf["decoder_conf"]["num_blocks"]
    elif conf["decoder"] == "transducer":
        assert model.decoder.dunits == conf["decoder_conf"]["hidden_size"]
        assert model.decoder.dlayers == conf["decoder_conf"]["num_layers"]
    assert (model.ctc is not None) == (name in ("ctc", "ctc_att"))
