"""Encoding utterances of different lengths so that each gets the encoder output it gets alone.

Encoding a zero-padded batch with ``model.encode`` lets padding reach the valid frames of the
shorter utterances in three places of ESPnet models:

1. the STFT frontend reflect-pads each signal at its end; in a padded batch the last frames of a
   shorter signal would see zeros instead;
2. the convolutional subsampling (``Conv2dSubsampling`` & co.) derives its output mask by slicing
   the input mask (``mask[:, :, :-2:2][:, :, :-2:2]``), which for a shorter utterance counts one
   or two frames more than the utterance has alone (e.g. 26 instead of 24); those frames are
   computed partly from padding, and the encoder's attention sees them;
3. convolutions over time without masking (the Conformer convolution module, E-Branchformer's
   cgMLP, conv1d feed-forward layers) mix padding into the last valid frames.

Modes of :func:`encode_batch`:

``padded``
    Features (frontend and feature normalisation) computed so that (1) cannot happen -- in one
    call with each signal's own end reflection appended for ESPnet's ``DefaultFrontend``, else
    per utterance -- then one padded encoder call. For ESPnet ``TransformerEncoder`` models with
    a known subsampling, (2) is corrected by handing the encoder, per utterance, a length whose
    sliced mask counts exactly the frames the utterance has alone: then the outputs equal
    batch-1 outputs. Otherwise the
    shorter utterances' outputs differ, as in ESPnet's own training batches (on the toy benchmark
    model this changed half of the greedy hypotheses at batch 64 and cost 1 BLEU).
``per_utterance``
    One ``model.encode`` call per utterance: exactly st_inference's encoder output, any model.
``auto``
    On a GPU, ``padded`` when it is exact (corrected ``TransformerEncoder``), else
    ``per_utterance``. On a CPU always ``per_utterance``: there a batch-1 encoder call already
    runs efficient matrix products, and the padded call cost 1.0-3.2x more CPU time than the
    per-utterance calls on the mini-corpus ST model (batches of 8 and 32 tst-COMMON utterances,
    1 thread), padding waste and the quadratic attention over the longest utterance included.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence

import torch
from torch.nn.utils.rnn import pad_sequence

ENCODER_MODES = ("auto", "padded", "per_utterance")

# (drop, step) of each mask-slicing stage ``mask[:, :, :-drop:step]`` of ESPnet's subsampling
# modules (espnet.nets.pytorch_backend.transformer.subsampling); their convolutions have no
# padding in time, so an output frame inside the sliced mask only sees valid input frames.
MASK_STAGES = {
    "Conv2dSubsampling": ((2, 2), (2, 2)),
    "Conv2dSubsampling1": ((4, 1),),
    "Conv2dSubsampling2": ((2, 2), (2, 1)),
    "Conv2dSubsampling6": ((2, 2), (4, 3)),
    "Conv2dSubsampling8": ((2, 2), (2, 2), (2, 2)),
}


def sliced_mask_count(valid: int, total: int, stages: Sequence[tuple[int, int]]) -> int:
    """Ones left in a (total,) mask with ``valid`` leading ones after the slicing ``stages``."""
    for drop, step in stages:
        end = total - drop
        valid = math.ceil(min(valid, end) / step) if end > 0 else 0
        total = math.ceil(end / step) if end > 0 else 0
    return max(valid, 0)


def exact_lengths(lengths: Sequence[int], stages: Sequence[tuple[int, int]]) -> list[int]:
    """Input lengths whose sliced masks in a batch padded to max(lengths) count exactly the
    frames each utterance has alone (0 where the utterance is too short for the subsampling)."""
    total = max(lengths)
    out = []
    for n in lengths:
        if n == total:  # unpadded; also keeps max(lengths), which ESPnet cuts the batch to
            out.append(n)
            continue
        target = sliced_mask_count(n, n, stages)
        lo, hi = 0, n  # smallest m with count(m) >= target: counts grow by at most 1 per frame
        while lo < hi:
            mid = (lo + hi) // 2
            if sliced_mask_count(mid, total, stages) >= target:
                hi = mid
            else:
                lo = mid + 1
        assert sliced_mask_count(lo, total, stages) == target, (n, total, stages)
        out.append(lo)
    return out


def padding_stages(model: torch.nn.Module) -> tuple[tuple[int, int], ...] | None:
    """Mask stages if ``model``'s encoder is exact on a padded batch with corrected lengths."""
    import espnet2.asr.encoder.transformer_encoder as transformer_encoder
    from espnet.nets.pytorch_backend.transformer.positionwise_feed_forward import (
        PositionwiseFeedForward,
    )

    for name in ("preencoder", "hier_encoder", "postencoder"):
        if getattr(model, name, None) is not None:
            return None
    encoder = getattr(model, "encoder", None)
    if type(encoder) is not transformer_encoder.TransformerEncoder:
        return None
    if any(type(layer.feed_forward) is not PositionwiseFeedForward for layer in encoder.encoders):
        return None
    embed = encoder.embed
    if embed is None or isinstance(embed, torch.nn.Linear):
        return ()
    if isinstance(embed, torch.nn.Sequential) and isinstance(embed[0], torch.nn.Linear):
        return ()  # input_layer: linear, position-wise
    module = type(embed).__module__
    if module != "espnet.nets.pytorch_backend.transformer.subsampling":
        return None
    return MASK_STAGES.get(type(embed).__name__)


@contextlib.contextmanager
def _bypassed(model: torch.nn.Module, names: Sequence[str]) -> Iterator[None]:
    """Let ``model.encode`` take ready features: ESPnet models skip modules that are None."""
    saved = {name: getattr(model, name) for name in names}
    for name in names:
        setattr(model, name, None)
    try:
        yield
    finally:
        for name, module in saved.items():
            setattr(model, name, module)


def _per_utterance(model, speech: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    from espnet.nets.pytorch_backend.transformer.subsampling import TooShortUttError

    dev = speech[0].device
    outs, lens = [], []
    for s in speech:
        try:
            enc, enc_len = model.encode(s[None], torch.tensor([s.size(0)], device=dev))
        except TooShortUttError:
            outs.append(None)
            lens.append(0)
            continue
        outs.append(enc[0, : int(enc_len[0])])
        lens.append(int(enc_len[0]))
    ref = next((o for o in outs if o is not None), None)
    if ref is None:
        return torch.zeros(len(speech), 1, 1, device=dev), torch.zeros(len(speech)).long()
    outs = [o if o is not None else ref.new_zeros(0, ref.size(1)) for o in outs]
    return pad_sequence(outs, batch_first=True), torch.tensor(lens, dtype=torch.long)


def _features_one_by_one(model, speech, names: Sequence[str]) -> list[torch.Tensor]:
    dev = speech[0].device
    feats = list(speech)
    for name in names:
        module = getattr(model, name)
        for b, f in enumerate(feats):
            out, out_len = module(f[None], torch.tensor([f.size(0)], device=dev))
            feats[b] = out[0, : int(out_len[0])]
    return feats


def _stft_pad(model, speech: Sequence[torch.Tensor]) -> int | None:
    """Samples the STFT reflects at each end, if the features can be computed in one batch.

    That is the case for ESPnet's ``DefaultFrontend`` with a centred STFT, on single-channel
    signals longer than that padding. Its enhancement front-end (WPE, beamformer; built by
    default) passes single-channel spectra through unchanged.
    """
    import espnet2.asr.frontend.default as default_frontend
    from espnet.nets.pytorch_backend.frontends.frontend import Frontend

    frontend = getattr(model, "frontend", None)
    if type(frontend) is not default_frontend.DefaultFrontend:
        return None
    if frontend.frontend is not None and type(frontend.frontend) is not Frontend:
        return None
    stft = frontend.stft
    if stft is None or not stft.center:
        return None
    pad = stft.n_fft // 2
    if any(s.dim() != 1 or s.size(0) <= pad for s in speech):
        return None
    return pad


def _batched_features(model, speech: Sequence[torch.Tensor], pad: int) -> list[torch.Tensor]:
    """Frontend and normalisation of all utterances in one call, each as it gets them alone.

    The centred STFT reflects each signal at its end; in a zero-padded batch only the longest
    signal would be reflected. So each signal gets its own reflection appended first: every frame
    inside an utterance's length then reads the samples it reads alone, and the frames beyond
    that length are masked by the frontend. Per-frame steps (power, mel, log, global MVN) do not
    mix frames. Per-utterance calls cost one chain of small kernels each, which on a GPU took most
    of a batch-300 decode's encoding time.
    """
    dev = speech[0].device
    # torch's "reflect" right pad of x is x[-2], x[-3], ..., x[-1 - pad]
    extended = [torch.cat([s, s[-pad - 1 : -1].flip(0)]) for s in speech]
    lengths = torch.tensor([s.size(0) for s in speech], device=dev)
    feats, feat_lens = model.frontend(pad_sequence(extended, batch_first=True), lengths)
    if getattr(model, "normalize", None) is not None:
        feats, feat_lens = model.normalize(feats, feat_lens)
    return [feats[b, :n] for b, n in enumerate(feat_lens.tolist())]


def _padded(model, speech, stages) -> tuple[torch.Tensor, torch.Tensor]:
    from espnet.nets.pytorch_backend.transformer.subsampling import TooShortUttError

    dev = speech[0].device
    bypass = [name for name in ("frontend", "normalize") if getattr(model, name, None) is not None]
    pad = _stft_pad(model, speech)
    if pad is not None:
        feats = _batched_features(model, speech, pad)
    else:
        feats = _features_one_by_one(model, speech, bypass)
    lengths = [f.size(0) for f in feats]
    keep = list(range(len(feats)))
    if stages is not None:
        # too short alone (0 frames out): leave out, ESPnet's masks take a length 0 as full
        keep = [b for b, n in enumerate(lengths) if sliced_mask_count(n, n, stages) > 0]
        if not keep:
            return _per_utterance(model, speech)
        lengths = exact_lengths([lengths[b] for b in keep], stages)
    x = pad_sequence([feats[b] for b in keep], batch_first=True)
    try:
        with _bypassed(model, bypass):
            enc, enc_lens = model.encode(x, torch.tensor(lengths, dtype=torch.long, device=dev))
    except TooShortUttError:  # every utterance is too short: say so per utterance
        return _per_utterance(model, speech)
    enc_lens = enc_lens.clamp(min=0).long().cpu()
    if len(keep) == len(feats):
        return enc, enc_lens
    full = enc.new_zeros(len(feats), enc.size(1), enc.size(2))
    full_lens = torch.zeros(len(feats), dtype=torch.long)
    index = torch.tensor(keep)
    full[index.to(enc.device)] = enc
    full_lens[index] = enc_lens
    return full, full_lens


def encode_batch(
    model: torch.nn.Module, speech: Sequence[torch.Tensor], mode: str = "auto"
) -> tuple[torch.Tensor, torch.Tensor]:
    """Encode waveforms (or feature sequences) of different lengths.

    Args:
        model: an ESPnet model with ``encode(speech, lengths)`` (and optionally ``frontend``,
            ``normalize``).
        speech: B tensors (L_b,) or (L_b, F), already on the model's device and dtype.
        mode: ``auto``, ``padded`` or ``per_utterance`` (see the module docstring).

    Returns:
        enc (B, T, D) padded encoder output, enc_lens (B,) long (on the CPU); an utterance too
        short for the encoder's subsampling gets length 0.
    """
    if mode not in ENCODER_MODES:
        raise ValueError(f"unknown encoder mode {mode!r}; choose one of {ENCODER_MODES}")
    stages = padding_stages(model)
    on_cpu = all(x.device.type == "cpu" for x in speech)
    if mode == "per_utterance" or (mode == "auto" and (stages is None or on_cpu)):
        return _per_utterance(model, speech)
    return _padded(model, speech, stages)
