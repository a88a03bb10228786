"""The device of one-device programs from --ngpu / --device (espnet_ext.device)."""

import pytest
import torch

from espnet_ext.device import device_for


def test_cpu_unless_a_gpu_is_asked_for():
    assert device_for(0) == "cpu"
    assert device_for(0, "cpu") == "cpu"


def test_a_gpu_where_torch_sees_one(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert device_for(1) == "cuda"
    assert device_for(0, "cuda:1") == "cuda:1"


def test_a_gpu_where_torch_sees_none_names_the_option(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"^--ngpu 1 asks for a GPU, but torch finds none"):
        device_for(1)
    with pytest.raises(
        RuntimeError, match=r"^--device cuda:0 asks for a GPU.*without --gpu_inference"
    ):
        device_for(0, "cuda:0")


@pytest.mark.parametrize(
    "ngpu, message",
    [(2, "--ngpu 2: this program runs on one device"), (-1, "--ngpu must be >= 0")],
)
def test_bad_ngpu(ngpu, message):
    with pytest.raises(ValueError, match=message):
        device_for(ngpu)
