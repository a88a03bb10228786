"""``python -m espnet_ext.bin.st_decode`` vs ``espnet2.bin.st_inference`` on a tiny exp dir."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from espnet_ext.bin import st_decode
from espnet_ext.decoding.batching import Utterance, make_batches, read_scp, read_utterances
from tests.fixtures import decoding as toy

WORDS = {
    "spkA-001": [3, 9],
    "spkA-002": [1, 5, 9, 2, 7, 7, 0, 4, 11],
    "spkB-001": [16],
    "spkB-002": [13, 2, 8, 17, 1],
    "spkC-001": [5, 12, 12, 3],
    "spkC-002": [0, 6, 2],
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return toy.write_data_dir(tmp_path_factory.mktemp("data") / "test", WORDS, seed=7)


def decode_args(exp, data_dir, out, *extra):
    config, model = exp
    return [
        "--st_train_config",
        str(config),
        "--st_model_file",
        str(model),
        "--data_path_and_name_and_type",
        f"{data_dir}/wav.scp,speech,sound",
        "--output_dir",
        str(out),
        "--beam_size",
        "3",
        "--ctc_weight",
        "0.3",
        "--penalty",
        "0.0",
        "--maxlenratio",
        "0.0",
        "--minlenratio",
        "0.0",
        *extra,
    ]


def read_lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def test_outputs_equal_espnet_st_inference(toy_exp, data_dir, tmp_path):
    from espnet2.bin.st_inference import main as espnet_main

    ours, ref = tmp_path / "ours", tmp_path / "ref"
    # small batches of several utterances, each encoded padded (exact for this Transformer)
    st_decode.main(
        decode_args(toy_exp, data_dir, ours, "--batch_bins", "40000", "--encoder_mode", "padded")
    )
    espnet_main(decode_args(toy_exp, data_dir, ref, "--ngpu", "0", "--batch_size", "1"))

    keys = sorted(WORDS)
    for name in ("text", "token", "token_int"):
        got = read_lines(ours / "1best_recog" / name)
        assert [line.split(" ", 1)[0] for line in got] == keys
        assert got == read_lines(ref / "1best_recog" / name), name
    ours_score = [float(line.split()[1]) for line in read_lines(ours / "1best_recog" / "score")]
    ref_score = [
        float(re.fullmatch(r"tensor\((.*)\)", line.split(" ", 1)[1]).group(1))
        for line in read_lines(ref / "1best_recog" / "score")
    ]
    np.testing.assert_allclose(ours_score, ref_score, atol=1e-3)
    # token_int and text agree with each other through the token list
    tokens = toy.token_list()
    for text, ids in zip(
        read_lines(ours / "1best_recog" / "text"), read_lines(ours / "1best_recog" / "token_int")
    ):
        assert text.split()[1:] == [tokens[int(i)] for i in ids.split()[1:]]

    rtf = json.loads((ours / "rtf.json").read_text())
    assert set(rtf) == {"audio_seconds", "decode_seconds", "rtf", "n_utts", "n_empty"}
    assert rtf["n_utts"] == len(WORDS) and rtf["n_empty"] == 0
    samples = sum(int(v) for v in read_scp(data_dir / "utt2num_samples").values())
    assert rtf["audio_seconds"] == pytest.approx(samples / toy.FS, abs=1e-3)
    assert rtf["rtf"] == pytest.approx(rtf["decode_seconds"] / rtf["audio_seconds"], rel=0.02)


def test_key_file_nbest_and_batch_size(toy_exp, data_dir, tmp_path):
    keys = tmp_path / "keys.scp"
    keys.write_text("spkC-002 x\nspkA-001 y\n", encoding="utf-8")
    out = tmp_path / "out"
    st_decode.main(
        decode_args(
            toy_exp,
            data_dir,
            out,
            "--key_file",
            str(keys),
            "--nbest",
            "2",
            "--batch_size",
            "1",
            "--num_workers",
            "0",
        )
    )
    for n in (1, 2):
        lines = read_lines(out / f"{n}best_recog" / "token_int")
        assert [line.split()[0] for line in lines] == ["spkC-002", "spkA-001"]
    best = [float(line.split()[1]) for line in read_lines(out / "1best_recog" / "score")]
    second = [float(line.split()[1]) for line in read_lines(out / "2best_recog" / "score")]
    assert all(b >= s for b, s in zip(best, second))


def test_missing_audio_names_the_utterance(toy_exp, data_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    lines = read_lines(data_dir / "wav.scp")
    lines[1] = lines[1].split()[0] + " /nonexistent/x.wav"
    (bad / "wav.scp").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"spkA-002.*/nonexistent/x\.wav"):
        st_decode.main(decode_args(toy_exp, bad, tmp_path / "out"))
    (bad / "wav.scp").write_text("only-a-key\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"wav\.scp:1: expected"):
        st_decode.main(decode_args(toy_exp, bad, tmp_path / "out"))


def test_make_batches_respects_bins_and_size():
    rng = np.random.default_rng(0)
    utts = [Utterance(f"u{i:03d}", "", int(n)) for i, n in enumerate(rng.integers(100, 5000, 60))]
    utts.append(Utterance("huge", "", 20000))
    batches = make_batches(utts, batch_bins=12000, batch_size=5)
    flat = [u for b in batches for u in b]
    assert sorted(u.key for u in flat) == sorted(u.key for u in utts)
    assert [u.num_samples for u in flat] == sorted((u.num_samples for u in utts), reverse=True)
    assert batches[0] == [utts[-1]]  # longer than batch_bins: alone
    for b in batches[1:]:
        assert len(b) <= 5 and b[0].num_samples * len(b) <= 12000
    # each batch is as full as the bins allow: the next utterance would not have fit
    for b, nxt in zip(batches[1:], batches[2:]):
        assert len(b) == 5 or b[0].num_samples * (len(b) + 1) > 12000, (b, nxt)
    with pytest.raises(ValueError, match="batch_bins"):
        make_batches(utts, batch_bins=0)


def test_read_utterances_uses_headers_without_utt2num_samples(data_dir, tmp_path):
    (tmp_path / "wav.scp").write_text((data_dir / "wav.scp").read_text(), encoding="utf-8")
    from_headers = read_utterances(tmp_path / "wav.scp")
    from_file = read_utterances(data_dir / "wav.scp")
    assert [(u.key, u.num_samples) for u in from_headers] == [
        (u.key, u.num_samples) for u in from_file
    ]
