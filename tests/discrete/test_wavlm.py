"""A tiny WavLM checkpoint goes through the code path of ``wavlm_large``: the same s3prl upstream
class and the same layer selection, checked against WavLM's own layer outputs."""

import numpy as np
import pytest
import torch

from espnet_ext.discrete.features import S3prlFeatures, build_extractor
from tests.fixtures.discrete import make_tiny_wavlm


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    return make_tiny_wavlm(tmp_path_factory.mktemp("wavlm") / "tiny_wavlm.pt")


def _reference(ckpt, wav: np.ndarray, layer: int) -> np.ndarray:
    """Output of Transformer layer ``layer`` (1-based) computed by WavLM itself."""
    from s3prl.upstream.wavlm.WavLM import WavLM, WavLMConfig

    state = torch.load(ckpt, weights_only=True)
    model = WavLM(WavLMConfig(state["cfg"]))
    model.load_state_dict(state["model"])
    model.eval()
    x = torch.from_numpy(wav)[None]
    x = torch.nn.functional.layer_norm(x, x.shape)  # the checkpoint's cfg has normalize=True
    with torch.no_grad():
        feats, _ = model.extract_features(
            x, padding_mask=torch.zeros_like(x, dtype=torch.bool), mask=False, output_layer=layer
        )
    return feats[0].numpy()


def test_tiny_wavlm_like_wavlm_large(tiny_ckpt, monkeypatch):
    import s3prl.upstream.wavlm.hubconf as hubconf
    from s3prl.upstream.wavlm.expert import UpstreamExpert

    wav = (np.random.default_rng(0).normal(size=16000 * 3 // 2) * 0.1).astype(np.float32)
    local = build_extractor("s3prl", upstream="wavlm_local", layer=2, path_or_url=str(tiny_ckpt))
    feats = local(wav)
    assert feats.shape == (1 + (len(wav) - 1) // 320, 32) and feats.dtype == np.float32
    assert local.frame_shift_ms == 20 and local.dim == 32
    ref = _reference(tiny_ckpt, wav, 2)
    # s3prl (and so ESPnet's S3prlFrontend) pads to ceil(samples / 320) frames with the last one
    assert len(ref) == len(feats) - 1
    np.testing.assert_allclose(feats[:-1], ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(feats[-1], feats[-2])

    # ``wavlm_large`` by name: s3prl would download the converted checkpoint; hand it the tiny
    # one instead, so everything after the download is the real wavlm_large path
    urls = []
    monkeypatch.setattr(
        hubconf,
        "_urls_to_filepaths",
        lambda url, refresh=False: urls.append(url) or str(tiny_ckpt),
    )
    large = S3prlFeatures(upstream="wavlm_large", layer=2)
    assert urls == ["https://huggingface.co/s3prl/converted_ckpts/resolve/main/wavlm_large.pt"]
    assert type(large.model.upstream) is type(local.model.upstream) is UpstreamExpert
    np.testing.assert_array_equal(large(wav), feats)


def test_layer_and_upstream_checks(tiny_ckpt):
    with pytest.raises(
        ValueError, match="layer 4 out of range: wavlm_local has hidden states 0..3"
    ):
        S3prlFeatures(upstream="wavlm_local", layer=4, path_or_url=str(tiny_ckpt))
    with pytest.raises(ValueError, match="needs path_or_url"):
        S3prlFeatures(upstream="wavlm_local", layer=1)
    with pytest.raises(ValueError, match="unknown s3prl upstream 'wavlm_huge'"):
        S3prlFeatures(upstream="wavlm_huge", layer=1)
