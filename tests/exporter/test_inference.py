"""Cascade and exporter decoding: oracle equivalence, ESPnet parity, command-line outputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile
import torch

from tests.exporter.conftest import build_args


def read_kaldi(path) -> dict[str, str]:
    return dict((line.split(maxsplit=1) + [""])[:2] for line in path.read_text().splitlines())


@pytest.fixture(scope="module")
def wavs(tiny_setup) -> list[np.ndarray]:
    scp = read_kaldi(tiny_setup.data / "wav.scp")
    return [soundfile.read(scp[k], dtype="float32")[0] for k in sorted(scp)]


def translator(tiny_models, **kwargs):
    from espnet_ext.exporter.inference import SpeechTranslator

    asr, asr_args, mt, mt_args = tiny_models
    return SpeechTranslator(asr, asr_args, mt, mt_args, **kwargs)


def check_meaningful(results) -> None:
    """Guard against a vacuous comparison: varied 1-bests and translations."""
    assert all(r.asr_token_int for r in results)
    assert len({tuple(r.asr_token_int) for r in results}) > 2
    assert len({tuple(r.token_int) for r in results}) > 2


@pytest.mark.parametrize("beam_size", [1, 3])
def test_mt_embeddings_give_the_cascade_output(tiny_models, wavs, beam_size):
    cascade = translator(tiny_models, mt_input="cascade", beam_size=beam_size)(wavs)
    check_meaningful(cascade)
    oracle = translator(tiny_models, mt_input="embeddings", beam_size=beam_size)(wavs)
    for c, o in zip(cascade, oracle):
        assert o.asr_token_int == c.asr_token_int
        assert o.token_int == c.token_int and o.text == c.text
        assert o.score == pytest.approx(c.score, abs=1e-4)


@pytest.mark.parametrize("beam_size", [1, 3])
def test_exporter_returning_mt_embeddings_gives_the_cascade_output(
    tiny_setup, tiny_models, wavs, beam_size
):
    from espnet_ext.exporter.inference import SpeechTranslator
    from espnet_ext.exporter.mt_input import embed_tokens
    from espnet_ext.exporter.task import build_exporter_model

    model, asr_args, mt_args = build_exporter_model(build_args(tiny_setup))
    # the exporter's output set to the MT embedding lookup of the 1-best
    model.exporter.forward = lambda enc, enc_lens, al: embed_tokens(model.mt, al.tokens)
    exported = SpeechTranslator(
        model.asr,
        asr_args,
        model.mt,
        mt_args,
        mt_input="exporter",
        exporter_model=model,
        beam_size=beam_size,
    )(wavs)
    cascade = translator(tiny_models, mt_input="cascade", beam_size=beam_size)(wavs)
    assert [e.token_int for e in exported] == [c.token_int for c in cascade]
    assert [e.asr_text for e in exported] == [c.asr_text for c in cascade]


def test_cascade_mt_matches_espnet_mt_inference(tiny_setup, tiny_models, wavs):
    from espnet2.bin.mt_inference import Text2Text

    results = translator(tiny_models, mt_input="cascade", beam_size=3)(wavs)
    text2text = Text2Text(
        mt_train_config=tiny_setup.mt_exp / "config.yaml",
        mt_model_file=tiny_setup.mt_exp / "valid.acc.ave.pth",
        beam_size=3,
        ctc_weight=0.0,
        maxlenratio=0.0,
        minlenratio=0.0,
    )
    for r in results:
        espnet = text2text(np.array(r.asr_token_int))[0]
        assert r.token_int == espnet[2]
        assert r.text == espnet[0]


def test_retokenized_cascade_sees_the_same_words(tiny_models, wavs):
    # word-level vocabulary: detokenizing and re-tokenizing gives the same ids back
    direct = translator(tiny_models, mt_input="cascade", beam_size=2)(wavs[:4])
    retok = translator(tiny_models, mt_input="cascade", beam_size=2, retokenize=True)(wavs[:4])
    assert [r.token_int for r in retok] == [d.token_int for d in direct]


def run_cascade_cli(tiny_setup, out, *extra):
    from espnet_ext.bin import cascade_inference

    cascade_inference.main(
        [
            "--asr_exp",
            str(tiny_setup.asr_exp),
            "--mt_exp",
            str(tiny_setup.mt_exp),
            "--data_dir",
            str(tiny_setup.data),
            "--output_dir",
            str(out),
            "--beam_size",
            "2",
            *extra,
        ]
    )


def test_cascade_cli_outputs_resume_and_scoring(tiny_setup, tiny_models, wavs, tmp_path):
    from espnet_ext.bin import score

    keys = sorted(read_kaldi(tiny_setup.data / "wav.scp"))
    out = tmp_path / "cascade"
    out.mkdir()
    # an interrupted earlier run finished the first utterance (and was cut while writing)
    done = {
        "key": keys[0],
        "asr_text": "resumed",
        "text": "resumed",
        "asr_token_int": [2],
        "token_int": [2],
        "score": -1.0,
        "audio_seconds": 1.0,
        "decode_seconds": 0.5,
    }
    (out / "partial.jsonl").write_text(json.dumps(done) + '\n{"key": "cut')
    conf = tmp_path / "decode.yaml"
    conf.write_text("beam_size: 2\nmaxlenratio: 0.0\n")
    run_cascade_cli(tiny_setup, out, "--config", str(conf), "--batch_size", "1")
    text, asr_text = read_kaldi(out / "text"), read_kaldi(out / "asr_text")
    assert list(text) == list(asr_text) == keys
    assert text[keys[0]] == asr_text[keys[0]] == "resumed"
    one = translator(tiny_models, mt_input="cascade", beam_size=2)
    expected = [one([w])[0] for w in wavs]  # batches of one, as the command ran
    for key, r in list(zip(keys, expected))[1:]:
        assert text[key] == r.text and asr_text[key] == r.asr_text
    rtf = json.loads((out / "rtf.json").read_text())
    assert rtf["n_utts"] == len(keys) and rtf["n_empty_asr"] == 0
    # the resumed utterance keeps its recorded duration (1.0 s); the others are measured
    expected_seconds = 1.0 + sum(len(w) for w in wavs[1:]) / 16000
    assert rtf["audio_seconds"] == pytest.approx(expected_seconds, abs=2e-3)
    assert rtf["rtf"] == pytest.approx(rtf["decode_seconds"] / rtf["audio_seconds"], rel=1e-3)
    assert not (out / "partial.jsonl").exists()
    score.main(
        [
            "--metric",
            "bleu",
            "--hyp",
            str(out / "text"),
            "--ref",
            str(tiny_setup.data / "text.tgt"),
            "--out-dir",
            str(out),
        ]
    )
    assert "bleu" in json.loads((out / "score.json").read_text())
    score.main(
        [
            "--metric",
            "wer",
            "--hyp",
            str(out / "asr_text"),
            "--ref",
            str(tiny_setup.data / "text.src"),
            "--out-dir",
            str(out / "wer"),
        ]
    )
    assert "wer" in json.loads((out / "wer" / "score.json").read_text())


def test_cli_rejects_unknown_config_keys(tiny_setup, tmp_path):
    conf = tmp_path / "decode.yaml"
    conf.write_text("beam_size: 2\nctc_weight: 0.3\n")
    with pytest.raises(SystemExit):
        run_cascade_cli(tiny_setup, tmp_path / "out", "--config", str(conf))


def test_exporter_cli(tiny_setup, trained_exporter, tmp_path):
    from espnet_ext.bin import exporter_inference

    def run(out, *extra):
        exporter_inference.main(
            [
                "--exporter_train_config",
                str(trained_exporter / "config.yaml"),
                "--exporter_model_file",
                str(trained_exporter / "valid.acc.ave.pth"),
                "--data_path_and_name_and_type",
                f"{tiny_setup.data / 'wav.scp'},speech,sound",
                "--output_dir",
                str(out),
                "--beam_size",
                "2",
                *extra,
            ]
        )

    keys = sorted(read_kaldi(tiny_setup.data / "wav.scp"))
    run(tmp_path / "exporter")
    assert list(read_kaldi(tmp_path / "exporter" / "text")) == keys
    # the exporter's own models in cascade give the cascade tool's output
    run(tmp_path / "as_cascade", "--mt_input", "cascade")
    run_cascade_cli(tiny_setup, tmp_path / "cascade")
    for name in ("text", "asr_text"):
        assert (tmp_path / "as_cascade" / name).read_text() == (
            tmp_path / "cascade" / name
        ).read_text()
    # fixed MT and fixed ASR: the exporter changes only what enters the MT encoder
    assert (tmp_path / "exporter" / "asr_text").read_text() == (
        tmp_path / "cascade" / "asr_text"
    ).read_text()


def test_exporter_checkpoint_must_be_complete(tiny_setup, trained_exporter, tmp_path):
    from espnet_ext.exporter.inference import load_exporter

    state = torch.load(trained_exporter / "valid.acc.ave.pth", weights_only=True)
    partial = tmp_path / "partial.pth"
    torch.save({k: v for k, v in state.items() if not k.startswith("exporter.")}, partial)
    with pytest.raises(RuntimeError, match="Missing key"):
        load_exporter(trained_exporter / "config.yaml", partial)
