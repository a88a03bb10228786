import datetime
import json

import numpy as np
import pytest
import torch
import yaml

from espnet_ext.bin import train_info as train_info_cli
from espnet_ext.scoring.train_info import find_checkpoint, infer_task, train_info


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Sequential(
            torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3)
        )  # 15 + 6
        self.encoder_extra = torch.nn.Linear(2, 2)  # 6: "encoder" must not freeze it
        self.embed = torch.nn.Embedding(5, 3)  # 15
        self.decoder = torch.nn.Linear(3, 5)  # bias 5; weight tied to the embedding
        self.decoder.weight = self.embed.weight


def espnet_trainable(model, prefixes):
    """The reference: ESPnet's freeze loop on the real module, then count requires_grad."""
    for t in prefixes:
        for k, p in model.named_parameters():
            if k.startswith(t + ".") or k == t:
                p.requires_grad = False
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def make_exp(tmp_path, freeze=("encoder",), ckpt="valid.acc.ave.pth", extra_config=None):
    exp = tmp_path / "st_tiny"
    exp.mkdir()
    config = {"src_token_list": ["a"], "token_list": ["b"], "frontend": "default"}
    config.update({"freeze_param": list(freeze)}, **(extra_config or {}))
    (exp / "config.yaml").write_text(yaml.safe_dump(config))
    model = Tiny()
    state = model.state_dict()
    if ckpt == "checkpoint.pth":  # ESPnet's layout; its reporter holds numpy scalars
        stats = {"loss": np.float64(1.5), "time": datetime.timedelta(seconds=3)}
        optim = torch.optim.Adam(model.parameters()).state_dict()
        state = {
            "model": state,
            "reporter": {"stats": {1: {"train": stats}}, "epoch": 1},
            "optimizers": [optim],
            "schedulers": [None],
            "scaler": None,
        }
    torch.save(state, exp / ckpt)
    return exp, model


def test_counts_match_torch(tmp_path):
    exp, model = make_exp(tmp_path)
    info = train_info(exp, wall_seconds=7200, ngpu=2)
    assert info["total_params"] == sum(p.numel() for p in model.parameters()) == 47
    assert info["trainable_params"] == espnet_trainable(model, ["encoder"]) == 26
    assert info["frozen_params"] == 21
    assert (info["system"], info["task"], info["ngpu"], info["device"]) == (
        "st_tiny",
        "st",
        2,
        "gpu",
    )
    assert info["train_wall_s"] == 7200.0 and info["device_hours"] == pytest.approx(4.0)


def test_frozen_params_json_and_cpu(tmp_path):
    exp, model = make_exp(tmp_path, freeze=())
    (exp / "frozen_params.json").write_text(json.dumps(["encoder_extra", "embed.weight"]))
    info = train_info(exp, wall_seconds=1800, ngpu=0, system="custom", task="mt")
    # embed.weight is also decoder.weight (tied): frozen once, as in named_parameters().
    assert (
        info["trainable_params"]
        == espnet_trainable(model, ["encoder_extra", "embed.weight"])
        == 26
    )
    assert (info["system"], info["task"], info["device"]) == ("custom", "mt", "cpu")
    assert info["device_hours"] == pytest.approx(0.5)
    (exp / "frozen_params.json").write_text(json.dumps({"encoder": True}))
    with pytest.raises(ValueError, match="frozen_params.json: expected a JSON list"):
        train_info(exp, wall_seconds=1, ngpu=0)


def test_espnet_checkpoint_pth(tmp_path):
    exp, _ = make_exp(tmp_path, ckpt="checkpoint.pth")
    info = train_info(exp, wall_seconds=1, ngpu=0)
    assert info["checkpoint"].endswith("checkpoint.pth") and info["total_params"] == 47


def test_checkpoint_preference(tmp_path):
    exp, _ = make_exp(tmp_path, ckpt="latest.pth")
    assert find_checkpoint(exp).name == "latest.pth"
    torch.save({}, exp / "valid.loss.best.pth")
    assert find_checkpoint(exp).name == "valid.loss.best.pth"
    torch.save({}, exp / "valid.acc.ave.pth")
    assert find_checkpoint(exp).name == "valid.acc.ave.pth"
    for p in exp.glob("*.pth"):
        p.unlink()
    with pytest.raises(FileNotFoundError, match="st_tiny: no checkpoint"):
        find_checkpoint(exp)


def test_infer_task():
    assert infer_task({"token_list": ["a"]}) == "asr"
    assert infer_task({"src_token_list": ["a"], "token_list": [], "frontend": "embed"}) == "mt"
    assert infer_task({"src_token_list": ["a"], "token_list": [], "frontend": "s3prl"}) == "st"
    with pytest.raises(ValueError, match="pass --task"):
        infer_task({})


def test_cli(tmp_path, capsys):
    exp, _ = make_exp(tmp_path, extra_config={"task": "asr"})
    train_info_cli.main(
        ["--exp-dir", str(exp), "--wall-seconds", "3600", "--ngpu", "1", "--system", "x"]
    )
    info = json.loads((exp / "train_info.json").read_text())
    assert {
        k: info[k] for k in ("system", "task", "trainable_params", "total_params", "device_hours")
    } == {
        "system": "x",
        "task": "asr",
        "trainable_params": 26,
        "total_params": 47,
        "device_hours": 1.0,
    }
    assert json.loads(capsys.readouterr().out) == info
    (exp / "config.yaml").unlink()
    with pytest.raises(SystemExit, match="train_info: .*config.yaml: no training config"):
        train_info_cli.main(["--exp-dir", str(exp), "--wall-seconds", "1", "--ngpu", "0"])


def test_not_a_state_dict(tmp_path):
    exp, _ = make_exp(tmp_path)
    (exp / "valid.acc.ave.pth").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="valid.acc.ave.pth: cannot load"):
        train_info(exp, wall_seconds=1, ngpu=0)
