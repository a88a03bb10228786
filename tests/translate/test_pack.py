"""Packing an experiment dir (without building the model) and opening the archive safely."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from espnet_ext.bin import pack as pack_cli
from espnet_ext.translate.pack import PackError, make_pack
from espnet_ext.translate.unpack import PackFormatError, open_pack


@pytest.fixture
def recipe(tmp_path, monkeypatch):
    """A recipe dir with an ST experiment whose config names files by relative paths."""
    root = tmp_path / "recipe"
    tok = root / "data/token_list/train.en-de"
    files = {"tgt_bpe100/bpe.model": b"tgt-spm", "src_bpe100/bpe.model": b"src-spm",
             "src_bpe100/tokens.txt": b"<blank>\n<unk>\na\n<sos/eos>\n"}  # fmt: skip
    for sub, content in files.items():
        (tok / sub).parent.mkdir(parents=True, exist_ok=True)
        (tok / sub).write_bytes(content)
    stats = root / "exp/stats_st_train.en-de/train/feats_stats.npz"
    stats.parent.mkdir(parents=True)
    stats.write_bytes(b"npz")
    ssl = root / "downloads/wavlm/wavlm.pt"
    ssl.parent.mkdir(parents=True)
    ssl.write_bytes(b"ssl-weights")
    hf = root / "downloads/mbart"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    (hf / "model.safetensors").write_bytes(b"hf-weights")
    exp = root / "exp/st_x"
    (exp / "decode_st/tst-COMMON.en-de").mkdir(parents=True)
    (exp / "decode_st/tst-COMMON.en-de/score.json").write_text('{"bleu": 12.5}')
    (exp / "train_info.json").write_text(json.dumps({"system": "st_x", "task": "st", "ngpu": 1}))
    (exp / "valid.acc.ave_3best.pth").write_bytes(b"weights")
    os.symlink("valid.acc.ave_3best.pth", exp / "valid.acc.ave.pth")
    config = {
        "token_list": ["<blank>", "<unk>", "a", "<sos/eos>"],
        "src_token_list": "data/token_list/train.en-de/src_bpe100/tokens.txt",
        "bpemodel": "data/token_list/train.en-de/tgt_bpe100/bpe.model",
        "src_bpemodel": "data/token_list/train.en-de/src_bpe100/bpe.model",
        "frontend": "s3prl",
        "frontend_conf": {"frontend_conf": {"upstream": "wavlm_local", "path_or_url": str(ssl)},
                          "fs": "16k"},  # fmt: skip
        "normalize": "global_mvn",
        "normalize_conf": {"stats_file": "exp/stats_st_train.en-de/train/feats_stats.npz"},
        "encoder_conf": {"input_layer": "conv2d", "output_size": 256},
        "postencoder_conf": {"model_name_or_path": "downloads/mbart"},
        "decoder_conf": {"model_name_or_path": "someorg/some-model"},
        "mt_name_or_path": "downloads/mbart",  # a top-level model entry (connector configs)
        "init_param": ["exp/asr/valid.acc.ave.pth:encoder:encoder"],
        "train_data_path_and_name_and_type": [
            ["dump/raw/train.en-de/wav.scp", "speech", "sound"],
            ["dump/raw/train.en-de/text.tc.de", "text", "text"],
            ["dump/raw/train.en-de/text.lc.rm.en", "src_text", "text"],
        ],
        "valid_data_path_and_name_and_type": [["dump/raw/dev.en-de/wav.scp", "speech", "sound"]],
    }
    (exp / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (root / "conf").mkdir()
    (root / "conf/decode_st.yaml").write_text("beam_size: 5\nctc_weight: 0.3\n")
    monkeypatch.chdir(root)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setenv("ESPNET_EXT_PACK_CACHE", str(tmp_path / "packs"))
    return root


def read_zip(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def test_pack_contents_and_meta(recipe, caplog):
    out = recipe / "exp/st_x/packed/st_x.zip"
    meta = make_pack("exp/st_x", out, inference_config="conf/decode_st.yaml")
    members = read_zip(out)
    assert members["model.pth"] == b"weights"
    assert members["files/bpemodel/bpe.model"] == b"tgt-spm"
    assert members["files/src_bpemodel/bpe.model"] == b"src-spm"
    assert members["files/normalize_conf.stats_file/feats_stats.npz"] == b"npz"
    assert members["files/src_token_list/tokens.txt"].startswith(b"<blank>")
    assert not any(n.startswith("models/") for n in members)  # not self-contained
    config = yaml.safe_load(members["config.yaml"])
    assert config["bpemodel"] == "files/bpemodel/bpe.model"
    assert (
        config["normalize_conf"]["stats_file"] == "files/normalize_conf.stats_file/feats_stats.npz"
    )
    assert config["init_param"] == []
    # recorded only, by absolute path: the pack works from any directory of this machine
    assert config["postencoder_conf"]["model_name_or_path"] == str(
        (recipe / "downloads/mbart").resolve()
    )
    assert yaml.safe_load(members["inference.yaml"]) == {"beam_size": 5, "ctc_weight": 0.3}
    assert json.loads(members["meta.json"]) == meta
    assert (meta["system"], meta["task"], meta["src_lang"], meta["tgt_lang"]) == (
        "st_x",
        "st",
        "en",
        "de",
    )
    assert meta["train_data"] == {"train": "train.en-de", "valid": "dev.en-de"}
    assert meta["model_file"] == "valid.acc.ave.pth"
    assert meta["scores"] == {"decode_st": {"tst-COMMON.en-de": {"bleu": 12.5}}}
    assert meta["train_info"]["ngpu"] == 1
    assert set(meta["versions"]) >= {"python", "espnet", "torch", "transformers", "espnet_ext"}
    pretrained = {".".join(map(str, p["key"])): p for p in meta["pretrained"]}
    assert set(pretrained) == {
        "frontend_conf.frontend_conf.path_or_url",
        "postencoder_conf.model_name_or_path",
        "decoder_conf.model_name_or_path",
        "mt_name_or_path",
    }
    assert pretrained["decoder_conf.model_name_or_path"]["local_path"] is None  # a hub name
    assert pretrained["postencoder_conf.model_name_or_path"]["local_path"] == str(
        recipe / "downloads/mbart"
    )
    assert "not packed (use --self-contained)" in caplog.text


def test_self_contained_copies_models(recipe):
    # the hub model is in the local Hugging Face cache, as from_pretrained("someorg/some-model")
    # leaves it
    import huggingface_hub.constants

    repo = Path(huggingface_hub.constants.HF_HUB_CACHE) / "models--someorg--some-model"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs/main").write_text("abc123")
    (repo / "snapshots/abc123").mkdir(parents=True)
    (repo / "snapshots/abc123/config.json").write_text('{"d_model": 8}')
    out = recipe / "st_x.zip"
    meta = make_pack("exp/st_x", out, self_contained=True)
    members = read_zip(out)
    assert members["models/frontend_conf.frontend_conf.path_or_url/wavlm.pt"] == b"ssl-weights"
    assert members["models/postencoder_conf.model_name_or_path/model.safetensors"] == b"hf-weights"
    assert members["models/decoder_conf.model_name_or_path/config.json"] == b'{"d_model": 8}'
    assert members["models/mt_name_or_path/config.json"] == b"{}"
    config = yaml.safe_load(members["config.yaml"])
    assert config["decoder_conf"]["model_name_or_path"] == "models/decoder_conf.model_name_or_path"
    assert meta["self_contained"] and all(p["packed"] for p in meta["pretrained"])

    pack = open_pack(out)
    resolved = yaml.safe_load(pack.config_path.read_text())
    for key in ("bpemodel", "src_bpemodel", "src_token_list"):
        assert Path(resolved[key]).is_file() and Path(resolved[key]).is_relative_to(pack.root)
    assert (
        Path(resolved["frontend_conf"]["frontend_conf"]["path_or_url"]).read_bytes()
        == b"ssl-weights"
    )
    assert (Path(resolved["postencoder_conf"]["model_name_or_path"]) / "config.json").is_file()
    assert (Path(resolved["decoder_conf"]["model_name_or_path"]) / "config.json").is_file()


def test_self_contained_needs_the_hub_model_locally(recipe):
    with pytest.raises(PackError, match="someorg/some-model.*Hugging Face cache"):
        make_pack("exp/st_x", recipe / "x.zip", self_contained=True)
    assert not (recipe / "x.zip").exists()  # nothing half-written


def test_missing_tokenizer_is_an_error(recipe):
    (recipe / "data/token_list/train.en-de/tgt_bpe100/bpe.model").unlink()
    with pytest.raises(
        PackError, match="bpemodel names 'data/token_list/.*bpe.model', which does not exist"
    ):
        make_pack("exp/st_x", recipe / "x.zip")
    with pytest.raises(SystemExit, match="pack: .*bpemodel"):
        pack_cli.main(["--exp-dir", "exp/st_x", "--out", "x.zip"])


def test_open_pack_caches_by_checksum(recipe, tmp_path):
    out = recipe / "st_x.zip"
    pack_cli.main(
        ["--exp-dir", "exp/st_x", "--out", str(out), "--model-file", "valid.acc.ave_3best.pth"]
    )
    first = open_pack(out)
    assert first.root.parent == tmp_path / "packs" and first.root.name == first.sha256
    assert first.model_path.read_bytes() == b"weights"
    assert first.meta["model_file"] == "valid.acc.ave_3best.pth"
    (first.root / "marker").write_text("kept")
    again = open_pack(out)
    assert again.root == first.root and (again.root / "marker").exists()  # not extracted again
    other = open_pack(out, cache_dir=tmp_path / "elsewhere")
    assert other.root == tmp_path / "elsewhere" / first.sha256


def _zip(path: Path, members: dict[str, bytes], symlink: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = 0o120777 << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    "bad", ["../evil.txt", "/abs/evil.txt", "files/../../evil.txt", "C:/evil.txt"]
)
def test_unsafe_members_are_refused(tmp_path, bad):
    archive = _zip(tmp_path / "bad.zip", {"meta.json": b"{}", bad: b"x"})
    with pytest.raises(PackFormatError, match="unsafe archive member"):
        open_pack(archive, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "evil.txt").exists()
    assert list((tmp_path / "cache").glob("*")) == []


def test_symlinks_and_non_packs_are_refused(tmp_path):
    archive = _zip(tmp_path / "link.zip", {"meta.json": b"{}"}, symlink="files/link")
    with pytest.raises(PackFormatError, match="unsafe archive member 'files/link'"):
        open_pack(archive, cache_dir=tmp_path / "cache")
    (tmp_path / "text.zip").write_text("not a zip")
    with pytest.raises(PackFormatError, match="not a zip archive"):
        open_pack(tmp_path / "text.zip", cache_dir=tmp_path / "cache")
    with pytest.raises(PackFormatError, match="not an espnet_ext pack"):
        open_pack(_zip(tmp_path / "plain.zip", {"a.txt": b"x"}), cache_dir=tmp_path / "cache")
    newer = {"meta.json": json.dumps({"format": "espnet_ext.pack", "format_version": 99}).encode(),
             "config.yaml": b"{}", "model.pth": b"", "inference.yaml": b"{}"}  # fmt: skip
    with pytest.raises(PackFormatError, match="version 99 is newer"):
        open_pack(_zip(tmp_path / "newer.zip", newer), cache_dir=tmp_path / "cache")
    with pytest.raises(FileNotFoundError, match="no such pack"):
        open_pack(tmp_path / "none.zip")


def test_import_espnet_ext_stays_light():
    code = (
        "import sys, espnet_ext; assert espnet_ext.Translator.__name__ == 'Translator'; "
        "bad = [m for m in ('torch', 'espnet2') if m in sys.modules]; assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_nested_experiments_are_packed_with_their_files(recipe, tmp_path):
    # an exporter-like system naming an ASR experiment dir, whose config names its own files by
    # paths relative to the recipe dir, and a config file of another experiment
    asr = recipe / "exp/asr_x"
    asr.mkdir()
    (asr / "config.yaml").write_text(yaml.safe_dump({
        "token_list": ["<blank>", "a"],
        "bpemodel": "data/token_list/train.en-de/src_bpe100/bpe.model",
        "normalize_conf": {"stats_file": "exp/stats_st_train.en-de/train/feats_stats.npz"},
        "init_param": ["exp/old/model.pth"]}))  # fmt: skip
    (asr / "valid.acc.ave.pth").write_bytes(b"asr-weights")
    exp = recipe / "exp/exporter_x"
    exp.mkdir()
    (exp / "valid.acc.ave.pth").write_bytes(b"weights")
    (exp / "config.yaml").write_text(yaml.safe_dump({
        "asr_exp": "exp/asr_x", "mt_exp": "exp/asr_x", "exporter": "ctc_pool",
        "asr_model_file": "valid.acc.ave.pth",
        "encoder_conf": {"train_config": str(asr / "config.yaml")}}))  # fmt: skip
    out = recipe / "exporter_x.zip"
    meta = make_pack("exp/exporter_x", out)
    assert meta["task"] == "exporter"  # told apart by asr_exp, mt_exp, exporter
    members = read_zip(out)
    assert members["files/asr_exp/files/bpemodel/bpe.model"] == b"src-spm"
    assert "files/asr_exp/files/normalize_conf.stats_file/feats_stats.npz" in members
    assert "files/encoder_conf.train_config/config.yaml" in members
    assert b"asr-weights" not in members.values()  # its checkpoint is not needed
    nested = yaml.safe_load(members["files/asr_exp/config.yaml"])
    assert nested["bpemodel"] == "files/asr_exp/files/bpemodel/bpe.model"
    assert nested["init_param"] == []
    assert yaml.safe_load(members["config.yaml"])["asr_exp"] == "files/asr_exp"

    pack = open_pack(out, cache_dir=tmp_path / "cache")
    resolved = yaml.safe_load(pack.config_path.read_text())
    asr_dir = Path(resolved["asr_exp"])
    assert asr_dir.is_relative_to(pack.root) and (asr_dir / "config.yaml").is_file()
    asr_config = yaml.safe_load((asr_dir / "config.yaml").read_text())
    assert Path(asr_config["bpemodel"]).read_bytes() == b"src-spm"
    assert Path(asr_config["normalize_conf"]["stats_file"]).read_bytes() == b"npz"
    train_config = Path(resolved["encoder_conf"]["train_config"])
    assert train_config.name == "config.yaml" and train_config.is_file()


def test_extra_files_from_the_command_line(recipe):
    (recipe / "notes.txt").write_text("codebook")
    pack_cli.main(["--exp-dir", "exp/st_x", "--out", "x.zip", "--extra", "notes=notes.txt"])
    assert read_zip(recipe / "x.zip")["extra/notes"] == b"codebook"
    with pytest.raises(SystemExit, match="expected NAME=PATH"):
        pack_cli.main(["--exp-dir", "exp/st_x", "--out", "x.zip", "--extra", "notes"])
