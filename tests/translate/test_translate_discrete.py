"""A discrete-unit system: espeak-ng speech -> MFCC -> k-means (20 clusters) -> unit BPE, a joint
vocabulary and a tiny AED model (saved untrained). Its units are dumped as the pipeline does
(``espnet_ext.discrete.dump``), turned into joint-vocabulary pieces and decoded by
``discrete_inference``; the pack (k-means codebook, feature settings, joint vocabulary) alone must
give the same translations from the audio after everything else is deleted."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
import yaml

from tests.fixtures.discrete import make_dumped_set, make_tiny_wavlm, sentences
from tests.translate.systems import assert_gone, read_scp, read_text, translate_from_pack

N_UNITS = 20


@pytest.fixture(scope="module", params=["mfcc", "wavlm"])
def packed(request, tmp_path_factory):
    from espnet_ext.bin import discrete_inference, prepare_espnet_task
    from espnet_ext.discrete import dump, kmeans
    from espnet_ext.discrete.vocab import JointVocab, train_unit_bpe
    from espnet_ext.pipeline.datadir import read_map, write_map
    from espnet_ext.pipeline.tokenizer import train_sentencepiece
    from espnet_ext.translate.pack import make_pack
    from tests.discrete.test_models import ATT_DECODER, ENCODER

    task = prepare_espnet_task("espnet_ext.discrete.task", "DiscreteSTTask")
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp(f"discrete_{request.param}")
    data = make_dumped_set(root / "dump", "train", sentences(4, seed=1))
    kdir, units_dir = root / "kmeans", root / "units"
    feature_conf = {"feature_type": "mfcc"}
    if request.param == "wavlm":  # s3prl features of a local checkpoint, packed with the codebook
        ckpt = make_tiny_wavlm(root / "wavlm" / "tiny_wavlm.pt")
        feature_conf = {"feature_type": "s3prl", "upstream": "wavlm_local", "layer": 2,
                        "path_or_url": str(ckpt)}  # fmt: skip
    kmeans.write_subset(data, kdir, 16000, None, None, 0)
    kmeans.extract_job(data, kdir, 1, 1, feature_conf)
    kmeans.learn(kdir, 1, n_clusters=N_UNITS, n_init=1, batch_size=256)
    dump.dump_job(data, kdir, units_dir, 1, 1)
    dump.merge(data, kdir, units_dir, 1)
    train_sentencepiece([data / "text.lc.rm.en"], root / "src_bpe", 30, "bpe")
    train_sentencepiece([data / "text.tc.de"], root / "tgt_bpe", 40, "bpe")
    train_unit_bpe([units_dir / "units"], root / "unit_bpe", N_UNITS, vocab_size=30)
    vocab = JointVocab.create(root / "src_bpe", root / "unit_bpe", root / "joint")
    src = {
        utt: " ".join(vocab.encode_units([int(u) for u in value.split()]))
        for utt, value in read_map(units_dir / "units").items()
    }
    write_map(root / "src", src)

    conf = {"frontend": "embed", "frontend_conf": {"embed_dim": 32},
            "encoder": "transformer", "encoder_conf": ENCODER,
            "decoder": "transformer", "decoder_conf": ATT_DECODER,
            "model_conf": {"ctc_weight": 0.0}}  # fmt: skip
    (root / "conf.yaml").write_text(yaml.safe_dump(conf))
    exp = root / "exp" / "discrete_aed"
    args = task.get_parser().parse_args(
        ["--config", str(root / "conf.yaml"), "--output_dir", str(exp),
         "--token_type", "bpe", "--token_list", str(root / "tgt_bpe/tokens.txt"),
         "--bpemodel", str(root / "tgt_bpe/bpe.model"),
         "--src_token_type", "word", "--src_token_list", str(root / "joint/tokens.txt")]
    )  # fmt: skip
    torch.manual_seed(0)
    model = task.build_model(args)
    exp.mkdir(parents=True)
    (exp / "config.yaml").write_text(yaml.safe_dump(vars(args)))
    torch.save(model.state_dict(), exp / "valid.acc.ave.pth")

    decode_conf = root / "decode_discrete.yaml"
    decode_conf.write_text("beam_size: 2\nmaxlenratio: 0.3\n")
    out = root / "decode"
    discrete_inference.main(
        ["--config", str(decode_conf), "--discrete_train_config", str(exp / "config.yaml"),
         "--discrete_model_file", str(exp / "valid.acc.ave.pth"),
         "--data_path_and_name_and_type", f"{root / 'src'},src_text,text",
         "--output_dir", str(out)]
    )  # fmt: skip
    zip_path = root / "packs" / "discrete_aed.zip"
    with pytest.raises(ValueError, match="needs its k-means model: .*--extra kmeans=DIR"):
        make_pack(exp, zip_path, inference_config=decode_conf)
    meta = make_pack(
        exp, zip_path, inference_config=decode_conf, extras={"kmeans": kdir, "joint": vocab.dir}
    )
    ref = read_text(out / "1best_recog" / "text")
    deleted = [exp, kdir, units_dir, root / "joint", root / "unit_bpe", root / "tgt_bpe"]
    if request.param == "wavlm":
        deleted.append(root / "wavlm")
    for path in deleted:
        shutil.rmtree(path)
    return {"zip": zip_path, "meta": meta, "ref": ref, "wavs": read_scp(data / "wav.scp"),
            "deleted": deleted, "features": request.param}  # fmt: skip


def test_discrete_pack_translates_like_discrete_inference(packed, tmp_path):
    assert packed["meta"]["task"] == "discrete"
    assert_gone(*packed["deleted"])
    extras = set(packed["meta"]["extras"])
    assert extras >= {"kmeans/kmeans.npz", "kmeans/kmeans.json", "joint/unit_bpe.model"}
    assert not any(name.endswith((".joblib", ".pkl")) for name in extras)  # no pickle in the pack
    assert ("feature_model/tiny_wavlm.pt" in extras) == (packed["features"] == "wavlm")
    hyps, _ = translate_from_pack(packed["zip"], packed["wavs"], tmp_path / "cache")
    assert len(hyps) == len(packed["ref"]) == 4 and all(hyps.values())
    assert hyps == packed["ref"]


def test_translate_command_on_a_discrete_pack(packed, tmp_path):
    from espnet_ext.bin import translate

    out = tmp_path / "out.jsonl"
    wavs = packed["wavs"]
    code = translate.main(
        ["--model", str(packed["zip"]), *wavs.values(), "--no-vad", "--output-format", "jsonl",
         "--output", str(out), "--cache-dir", str(tmp_path / "cache"), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_file = {r["file"]: r["translation"] for r in records}
    assert by_file == {wavs[utt]: text for utt, text in packed["ref"].items()}
