"""The exporter and the ASR -> MT cascade of tiny ASR and MT experiments (trained by ESPnet's
trainer, as tests/exporter does): decoded by ``exporter_inference`` / ``cascade_inference``,
packed; then the experiments are deleted and the packs alone must give the same translations."""

from __future__ import annotations

import json
import logging
import shutil
import zipfile

import pytest

from tests.exporter import conftest as ex
from tests.translate.systems import assert_gone, read_scp, read_text, translate_from_pack


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    import torch

    from espnet_ext.bin import (
        cascade_inference,
        exporter_inference,
        exporter_train,
        pack,
        quiet_espnet_import,
    )
    from espnet_ext.translate.pack import make_pack

    torch.set_num_threads(1)
    quiet_espnet_import()
    root = tmp_path_factory.mktemp("exporter")
    data = ex.write_data(root)
    setup = ex.TinySetup(
        root=root, data=data, asr_exp=ex.train_asr(root, data), mt_exp=ex.train_mt(root, data)
    )
    exp = root / "exp" / "exporter_fixed"
    level = logging.getLogger().level
    exporter_train.main(ex.exporter_train_args(setup, exp))
    logging.getLogger().setLevel(level)
    decode_conf = root / "decode_exporter.yaml"
    decode_conf.write_text("beam_size: 2\nmaxlenratio: 0.0\nbatch_size: 3\n")
    out = {}
    for name, main, model_args in (
        ("exporter", exporter_inference.main,
         ["--exporter_train_config", str(exp / "config.yaml"),
          "--exporter_model_file", str(exp / "valid.acc.ave.pth")]),
        ("cascade", cascade_inference.main,
         ["--asr_exp", str(setup.asr_exp), "--mt_exp", str(setup.mt_exp)]),
    ):  # fmt: skip
        out[name] = root / f"decode_{name}"
        main(model_args + ["--config", str(decode_conf), "--data_dir", str(data),
                           "--output_dir", str(out[name])])  # fmt: skip
    packs = root / "packs"
    metas = {
        "exporter": make_pack(exp, packs / "exporter.zip", inference_config=decode_conf),
    }
    pack.main(
        [
            "--asr-exp",
            str(setup.asr_exp),
            "--mt-exp",
            str(setup.mt_exp),
            "--out",
            str(packs / "cascade.zip"),
            "--inference-config",
            str(decode_conf),
        ]
    )
    metas["cascade"] = json.loads(zipfile.ZipFile(packs / "cascade.zip").read("meta.json"))
    refs = {name: read_text(path / "text") for name, path in out.items()}
    shutil.rmtree(root / "exp")
    return {"packs": packs, "metas": metas, "refs": refs, "wavs": read_scp(data / "wav.scp"),
            "deleted": (setup.asr_exp, setup.mt_exp, exp)}  # fmt: skip


@pytest.mark.parametrize("system", ["exporter", "cascade"])
def test_pack_translates_like_the_inference_entrypoint(packed, system, tmp_path):
    assert_gone(*packed["deleted"])
    meta = packed["metas"][system]
    assert meta["task"] == system
    # the ASR and MT experiments' configs travel as nested experiments
    nested = {".".join(map(str, f["key"])): f["config"] for f in meta["files"] if "config" in f}
    assert nested == {"asr_exp": "files/asr_exp/config.yaml", "mt_exp": "files/mt_exp/config.yaml"}
    hyps, _ = translate_from_pack(packed["packs"] / f"{system}.zip", packed["wavs"], tmp_path)
    ref = packed["refs"][system]
    assert len(hyps) == ex.N_UTTS == len(ref) and any(hyps.values())
    assert hyps == ref


def test_cascade_pack_errors(tmp_path):
    from espnet_ext.bin import pack

    with pytest.raises(SystemExit, match="no config.yaml .*ASR experiment"):
        pack.main(["--asr-exp", str(tmp_path / "asr"), "--mt-exp", str(tmp_path / "mt"),
                   "--out", str(tmp_path / "x.zip")])  # fmt: skip
    with pytest.raises(SystemExit, match="give --exp-dir, or --asr-exp and --mt-exp"):
        pack.main(["--asr-exp", str(tmp_path / "asr"), "--out", str(tmp_path / "x.zip")])
    assert not (tmp_path / "x.zip").exists()
