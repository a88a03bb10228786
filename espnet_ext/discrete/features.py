"""Frame features that k-means turns into units: MFCCs (CPU, CI, HuBERT's first iteration) or the
hidden states of one layer of an s3prl upstream (``wavlm_large`` layer 21 in the paper).

Both take one utterance at a time (16 kHz mono float32 samples) and return ``(T, D)`` float32:
batching would change WavLM's outputs (its convolutional front end normalises over the padded
signal), and one utterance per call keeps units identical however the data is split into jobs.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np
import torch

log = logging.getLogger(__name__)

FEATURE_TYPES = ("mfcc", "s3prl")


class FeatureExtractor(Protocol):
    frame_shift_ms: float
    dim: int

    def __call__(self, wav: np.ndarray) -> np.ndarray: ...


class MfccFeatures:
    """Kaldi-compatible MFCCs (25 ms window, 10 ms shift) plus deltas and delta-deltas.

    ``num_ceps=13`` with deltas gives HuBERT's 39-dim first-iteration features.
    """

    frame_shift_ms = 10.0

    def __init__(self, fs: int = 16000, num_ceps: int = 13, deltas: bool = True):
        self.fs = fs
        self.num_ceps = num_ceps
        self.deltas = deltas
        self.dim = num_ceps * (3 if deltas else 1)

    @torch.no_grad()
    def __call__(self, wav: np.ndarray) -> np.ndarray:
        import torchaudio.compliance.kaldi as kaldi
        import torchaudio.functional as F

        x = torch.as_tensor(wav, dtype=torch.float32)[None]  # (1, N)
        # Kaldi's window needs 400 samples; shorter segments give no frame
        if x.size(1) < int(0.025 * self.fs):
            return np.zeros((0, self.dim), dtype=np.float32)
        mfcc = kaldi.mfcc(
            x, sample_frequency=self.fs, num_ceps=self.num_ceps, use_energy=False, dither=0.0
        )
        if self.deltas:
            m = mfcc.T[None]  # (T, C) -> (1, C, T)
            d1 = F.compute_deltas(m)
            d2 = F.compute_deltas(d1)
            mfcc = torch.cat([m, d1, d2], dim=1)[0].T  # (T, 3C)
        return mfcc.contiguous().numpy().astype(np.float32)


class S3prlFeatures:
    """Hidden states of layer ``layer`` of an s3prl upstream, by name.

    ``S3PRLUpstream(name, path_or_url)`` builds the model; ``hidden_states[layer]`` is what ESPnet's
    ``S3prlFrontend(layer=layer)`` and its discrete-unit recipes use: index 0 is the input of the
    first Transformer layer, index ``i`` the output of layer ``i``. Named checkpoints
    (``wavlm_large``) are downloaded by s3prl into ``download_dir``; ``wavlm_local`` /
    ``hubert_local`` load ``path_or_url`` (a file ``{"cfg": ..., "model": state_dict}``).
    """

    def __init__(
        self,
        upstream: str = "wavlm_large",
        layer: int = 21,
        path_or_url: str | None = None,
        device: str = "cpu",
        download_dir: str | None = None,
    ):
        import s3prl
        from s3prl.nn import S3PRLUpstream

        if download_dir:
            s3prl.util.download.set_dir(download_dir)
        names = S3PRLUpstream.available_names()
        if upstream not in names:
            raise ValueError(
                f"unknown s3prl upstream {upstream!r}; e.g. wavlm_large, wavlm_local, hubert_local"
            )
        if upstream.endswith("_local") and not path_or_url:
            raise ValueError(f"s3prl upstream {upstream!r} needs path_or_url (a local checkpoint)")
        self.model = S3PRLUpstream(upstream, path_or_url=path_or_url).to(device).eval()
        n = self.model.num_layers
        if not 0 <= layer < n:
            raise ValueError(
                f"layer {layer} out of range: {upstream} has hidden states 0..{n - 1}"
            )
        self.layer = layer
        self.device = device
        self.dim = self.model.hidden_sizes[layer]
        self.frame_shift_ms = self.model.downsample_rates[layer] / 16.0
        log.info(
            "s3prl %s layer %d: dim %d, %.0f ms frames",
            upstream,
            layer,
            self.dim,
            self.frame_shift_ms,
        )

    @torch.no_grad()
    def __call__(self, wav: np.ndarray) -> np.ndarray:
        x = torch.as_tensor(wav, dtype=torch.float32, device=self.device)[None]  # (1, N)
        hs, lens = self.model(x, torch.tensor([x.size(1)], device=self.device))
        h = hs[self.layer][0, : int(lens[self.layer][0])]  # (T, D)
        return h.float().cpu().numpy()


def build_extractor(feature_type: str, **conf) -> FeatureExtractor:
    """``feature_type`` mfcc (conf: fs, num_ceps, deltas) or s3prl (conf: upstream, layer,
    path_or_url, device, download_dir)."""
    if feature_type == "mfcc":
        return MfccFeatures(**conf)
    if feature_type == "s3prl":
        return S3prlFeatures(**conf)
    raise ValueError(f"unknown feature_type {feature_type!r}; choose one of {FEATURE_TYPES}")
