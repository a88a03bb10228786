"""One model for discrete speech (units) and text inputs: every parameter is shared.

``ESPnetDiscreteSTModel`` embeds joint-vocabulary pieces (units or up-sampled source text), runs
one encoder, and predicts target pieces with one of four output layers, chosen by the config:

=========  ======================  ==============================================================
family     decoder                 loss
=========  ======================  ==============================================================
AED        transformer (any MT     label-smoothed cross entropy (``ctc_weight: 0``)
           decoder)
CTC        none                    CTC over target pieces (``ctc_weight: 1``)
CTC/att    transformer             ``ctc_weight * CTC + (1 - ctc_weight) * attention``
RNN-T      transducer              RNN-T loss (``transducer_loss``) (+ ``ctc_weight * CTC``)
=========  ======================  ==============================================================

CTC and RNN-T align target pieces to encoder frames, and a translation can be longer than its
input. Units after BPE and 4x up-sampled text are usually longer than the target, but not
always; ``ctc_upsample_ratio: r`` turns every encoder frame into ``r`` frames (a linear layer
producing ``r * D`` values, reshaped) in front of the CTC and transducer branches only. CTC uses
``zero_infinity``, so an example whose target still does not fit contributes no gradient instead of
an infinite loss.

Hierarchical encoder (the paper's CTC models, as ESPnet-ST-v2's CTC ST): with ``hier_encoder`` the
encoder becomes a lower encoder, trained with a CTC loss toward the *source* transcript over the
joint vocabulary (``src_ctc``, data ``src_transcript``: the source text's pieces, not repeated),
and an upper encoder stacked on it, whose output feeds the target-side losses above::

    loss = (1 - src_ctc_weight) * target loss + src_ctc_weight * source CTC loss

A ``hier_encoder`` with ``src_ctc_weight: 0`` is just a deeper encoder. ``encode`` returns the
upper encoder's output (decoding is unchanged); ``encode_with_intermediate`` also returns the
lower one. A batch without ``src_transcript`` (decoding, data dirs made before the file existed)
skips the source term outside training; training with ``src_ctc_weight > 0`` requires it.
"""

from __future__ import annotations

import logging

import torch
from espnet.nets.e2e_mt_common import ErrorCalculator as MTErrorCalculator
from espnet.nets.pytorch_backend.nets_utils import th_accuracy
from espnet.nets.pytorch_backend.transformer.add_sos_eos import add_sos_eos
from espnet.nets.pytorch_backend.transformer.label_smoothing_loss import LabelSmoothingLoss
from typeguard import typechecked

# isort: split
from espnet2.asr.ctc import CTC
from espnet2.asr.decoder.abs_decoder import AbsDecoder
from espnet2.asr.decoder.transducer_decoder import TransducerDecoder
from espnet2.asr.encoder.abs_encoder import AbsEncoder
from espnet2.asr.frontend.abs_frontend import AbsFrontend
from espnet2.asr.postencoder.abs_postencoder import AbsPostEncoder
from espnet2.torch_utils.device_funcs import force_gatherable
from espnet2.train.abs_espnet_model import AbsESPnetModel

# isort: split
from espnet_ext.discrete.transducer_loss import transducer_loss

log = logging.getLogger(__name__)

ARCHITECTURES = ("aed", "ctc", "ctc_att", "rnnt")


class FrameUpsampler(torch.nn.Module):
    """(B, T, D) -> (B, T * ratio, D): each frame becomes ``ratio`` frames through a linear layer."""

    def __init__(self, size: int, ratio: int):
        super().__init__()
        if ratio < 2:
            raise ValueError(f"upsampling ratio must be >= 2, got {ratio}")
        self.ratio = ratio
        self.proj = torch.nn.Linear(size, size * ratio)

    def forward(self, xs: torch.Tensor, lens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t, d = xs.shape
        return self.proj(xs).view(b, t * self.ratio, d), lens * self.ratio


def _run_encoder(encoder: AbsEncoder, xs: torch.Tensor, lens: torch.Tensor):
    out, out_lens, _ = encoder(xs, lens)
    if isinstance(out, tuple):  # encoders with intermediate CTC outputs
        out = out[0]
    return out, out_lens


def _check_src_ctc(
    weight: float, hier_encoder: AbsEncoder | None, src_ctc: CTC | None, src_vocab_size: int
) -> None:
    if not 0.0 <= weight < 1.0:
        raise ValueError(
            f"src_ctc_weight must be in [0, 1) (1 would leave the target side untrained), "
            f"got {weight}"
        )
    if weight == 0.0:
        return
    if hier_encoder is None:
        raise ValueError(
            f"src_ctc_weight={weight} needs a hier_encoder: the source CTC trains the lower "
            "encoder, and the target losses read an upper encoder stacked on it (set "
            "hier_encoder / hier_encoder_conf, or src_ctc_weight: 0)"
        )
    if src_ctc is None:
        raise ValueError(f"src_ctc_weight={weight} needs a source CTC module (src_ctc)")
    odim = src_ctc.ctc_lo.out_features
    if src_vocab_size and odim != src_vocab_size:
        raise ValueError(
            f"src_ctc predicts {odim} classes but the joint source vocabulary has "
            f"{src_vocab_size} tokens"
        )


class ESPnetDiscreteSTModel(AbsESPnetModel):
    """Hard parameter sharing ST/MT model over a joint (units + text) source vocabulary.

    Args:
        vocab_size: target vocabulary size V (``<sos/eos>`` last, ``<blank>`` 0).
        token_list: target tokens.
        frontend: embedding of joint-vocabulary ids (``espnet2.mt.frontend.embedding.Embedding``),
            or None when the encoder embeds the ids itself (``encoder: hf_seq2seq``).
        encoder: any ESPnet encoder taking ``(B, T, D)`` features (``(B, T)`` ids without a
            frontend).
        postencoder: optional.
        decoder: attention decoder, a ``TransducerDecoder``, or None (pure CTC).
        ctc: CTC over the target vocabulary (needed when ``ctc_weight > 0``).
        joint_network: transducer joint network (needed with a ``TransducerDecoder``).
        ctc_weight: weight of the CTC loss (see the module docstring).
        ctc_upsample_ratio: frames per encoder frame in front of CTC / transducer (1: none).
        hier_encoder: upper encoder stacked on ``encoder`` (input size = its output size), or
            None.
        src_ctc: CTC over the joint source vocabulary on the lower encoder's output (needed when
            ``src_ctc_weight > 0``).
        src_ctc_weight: weight of the source CTC loss, in [0, 1); > 0 needs ``hier_encoder``.
    """

    @typechecked
    def __init__(
        self,
        vocab_size: int,
        token_list: tuple[str, ...] | list[str],
        frontend: AbsFrontend | None,
        encoder: AbsEncoder,
        postencoder: AbsPostEncoder | None,
        decoder: AbsDecoder | None,
        ctc: CTC | None,
        joint_network: torch.nn.Module | None = None,
        hier_encoder: AbsEncoder | None = None,
        src_ctc: CTC | None = None,
        src_vocab_size: int = 0,
        src_token_list: tuple[str, ...] | list[str] = (),
        ctc_weight: float = 0.0,
        ctc_upsample_ratio: int = 1,
        src_ctc_weight: float = 0.0,
        ignore_id: int = -1,
        lsm_weight: float = 0.0,
        length_normalized_loss: bool = False,
        report_bleu: bool = True,
        sym_space: str = "\u2581",
        sym_blank: str = "<blank>",
        extract_feats_in_collect_stats: bool = True,
    ):
        super().__init__()
        if not 0.0 <= ctc_weight <= 1.0:
            raise ValueError(f"ctc_weight must be in [0, 1], got {ctc_weight}")
        if isinstance(decoder, TransducerDecoder):
            if joint_network is None:
                raise ValueError("a transducer decoder needs a joint network")
            if ctc_weight == 1.0:
                raise ValueError(
                    "ctc_weight=1 leaves the transducer untrained; use decoder: none for CTC"
                )
            self.architecture = "rnnt"
        elif decoder is None:
            if ctc_weight != 1.0:
                raise ValueError(
                    f"without a decoder the model is pure CTC: set ctc_weight: 1.0 (got {ctc_weight})"
                )
            self.architecture = "ctc"
        else:
            if ctc_weight == 1.0:
                raise ValueError(
                    "ctc_weight=1 leaves the attention decoder untrained; use decoder: none for CTC"
                )
            self.architecture = "ctc_att" if ctc_weight > 0 else "aed"
        if ctc_weight > 0 and ctc is None:
            raise ValueError(f"ctc_weight={ctc_weight} needs a CTC module")
        _check_src_ctc(src_ctc_weight, hier_encoder, src_ctc, src_vocab_size)
        self.vocab_size = vocab_size
        self.src_vocab_size = src_vocab_size
        self.sos = self.eos = vocab_size - 1
        self.blank_id = 0
        self.ignore_id = ignore_id
        self.ctc_weight = ctc_weight
        self.token_list = list(token_list)
        self.src_token_list = list(src_token_list)
        self.frontend = frontend
        self.encoder = encoder
        self.hier_encoder = hier_encoder
        self.postencoder = postencoder
        self.decoder = decoder
        self.joint_network = joint_network
        self.ctc = ctc if (ctc_weight > 0 or self.architecture == "ctc") else None
        self.src_ctc_weight = src_ctc_weight
        self.src_ctc = src_ctc if src_ctc_weight > 0 else None
        self.upsampler = (
            FrameUpsampler(self._enc_size(), ctc_upsample_ratio)
            if ctc_upsample_ratio > 1
            else None
        )
        self.criterion_att = LabelSmoothingLoss(
            size=vocab_size,
            padding_idx=ignore_id,
            smoothing=lsm_weight,
            normalize_length=length_normalized_loss,
        )
        self.error_calculator = (
            MTErrorCalculator(token_list, sym_space, sym_blank, report_bleu)
            if report_bleu
            else None
        )
        self.extract_feats_in_collect_stats = extract_feats_in_collect_stats

    def _enc_size(self) -> int:
        for module in (self.postencoder, self.hier_encoder, self.encoder):
            if module is not None:
                return module.output_size()

    # encoder ----------------------------------------------------------------------------------
    def _embed(self, src_text: torch.Tensor, src_text_lengths: torch.Tensor):
        src_text = src_text[:, : int(src_text_lengths.max())]
        # the collator pads with -1; any valid id will do, padded frames are masked by length
        src_text = src_text.clamp(min=0)
        if self.frontend is None:
            return src_text, src_text_lengths
        return self.frontend(src_text, src_text_lengths)

    def encode(
        self, src_text: torch.Tensor, src_text_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Joint-vocabulary ids (B, T) long, lengths (B,) -> encoder output (B, T', D) and lengths
        (B,); with a ``hier_encoder``, the upper encoder's output."""
        enc, enc_lens, _, _ = self.encode_with_intermediate(src_text, src_text_lengths)
        return enc, enc_lens

    def encode_with_intermediate(
        self, src_text: torch.Tensor, src_text_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """:meth:`encode`'s output and lengths, then the lower encoder's (what ``src_ctc`` reads;
        without a ``hier_encoder``, the encoder's output before the post-encoder)."""
        feats, lens = self._embed(src_text, src_text_lengths)
        low, low_lens = _run_encoder(self.encoder, feats, lens)
        enc, enc_lens = low, low_lens
        if self.hier_encoder is not None:
            enc, enc_lens = _run_encoder(self.hier_encoder, low, low_lens)
        if self.postencoder is not None:
            enc, enc_lens = self.postencoder(enc, enc_lens)
        return enc, enc_lens, low, low_lens

    def alignment_frames(
        self, enc: torch.Tensor, enc_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The frames CTC and the transducer see: the encoder output, up-sampled if configured."""
        if self.upsampler is None:
            return enc, enc_lens
        return self.upsampler(enc, enc_lens)

    # training ---------------------------------------------------------------------------------
    def forward(
        self,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        src_text: torch.Tensor,
        src_text_lengths: torch.Tensor,
        src_transcript: torch.Tensor | None = None,
        src_transcript_lengths: torch.Tensor | None = None,
        **kwargs,
    ):
        """text: (B, L) target ids padded with -1; src_text: (B, T) joint ids; src_transcript:
        (B, S) joint ids of the source text (not repeated), padded with -1, optional; lengths (B,).
        """
        assert (
            text.size(0) == text_lengths.size(0) == src_text.size(0) == src_text_lengths.size(0)
        ), (text.shape, text_lengths.shape, src_text.shape, src_text_lengths.shape)
        batch_size = src_text.size(0)
        text = text[:, : int(text_lengths.max())]
        enc, enc_lens, low, low_lens = self.encode_with_intermediate(src_text, src_text_lengths)
        stats: dict[str, torch.Tensor | float | None] = {}
        loss_ctc = None
        if self.ctc is not None:
            loss_ctc, bleu_ctc = self._ctc_loss(enc, enc_lens, text, text_lengths)
            stats["loss_ctc"], stats["bleu_ctc"] = loss_ctc.detach(), bleu_ctc
        if self.architecture == "ctc":
            loss = loss_ctc
        elif self.architecture == "rnnt":
            loss_main = self._transducer_loss(enc, enc_lens, text, text_lengths)
            stats["loss_transducer"] = loss_main.detach()
            loss = (
                loss_main
                if loss_ctc is None
                else (1 - self.ctc_weight) * loss_main + self.ctc_weight * loss_ctc
            )
        else:
            loss_main, acc, bleu = self._att_loss(enc, enc_lens, text, text_lengths)
            stats.update(loss_att=loss_main.detach(), acc=acc, bleu=bleu)
            loss = (
                loss_main
                if loss_ctc is None
                else (1 - self.ctc_weight) * loss_main + self.ctc_weight * loss_ctc
            )
        if self.src_ctc is not None:
            loss_src = self._src_ctc_loss(low, low_lens, src_transcript, src_transcript_lengths)
            stats["loss_src_ctc"] = None if loss_src is None else loss_src.detach()
            if loss_src is not None:
                loss = (1 - self.src_ctc_weight) * loss + self.src_ctc_weight * loss_src
        stats["loss"] = loss.detach()
        loss, stats, weight = force_gatherable((loss, stats, batch_size), loss.device)
        return loss, stats, weight

    def _att_loss(self, enc, enc_lens, ys_pad, ys_lens):
        ys_in, ys_out = add_sos_eos(ys_pad, self.sos, self.eos, self.ignore_id)
        dec_out, _ = self.decoder(enc, enc_lens, ys_in, ys_lens + 1)
        loss = self.criterion_att(dec_out, ys_out)
        acc = th_accuracy(dec_out.view(-1, self.vocab_size), ys_out, ignore_label=self.ignore_id)
        bleu = None
        if not self.training and self.error_calculator is not None:
            bleu = self.error_calculator(dec_out.argmax(dim=-1).cpu(), ys_pad.cpu())
        return loss, acc, bleu

    def _ctc_loss(self, enc, enc_lens, ys_pad, ys_lens):
        frames, lens = self.alignment_frames(enc, enc_lens)
        loss = self.ctc(frames, lens, ys_pad, ys_lens)
        bleu = None
        if not self.training and self.error_calculator is not None:
            bleu = self.error_calculator(self.ctc.argmax(frames).cpu(), ys_pad.cpu(), is_ctc=True)
        return loss, bleu

    def _src_ctc_loss(self, low, low_lens, ys_pad, ys_lens) -> torch.Tensor | None:
        """Source CTC on the lower encoder's output; None for a batch without transcripts outside
        training."""
        if ys_pad is None or ys_lens is None:
            if self.training:
                raise ValueError(
                    f"src_ctc_weight={self.src_ctc_weight}: the training data has no "
                    "'src_transcript' (the source text's joint-vocabulary pieces, written by "
                    "espnet_ext.discrete.mtdata); pass --train_data_path_and_name_and_type "
                    "<data dir>/src_transcript,src_transcript,text or set src_ctc_weight: 0"
                )
            return None
        if ys_pad.size(0) != low.size(0):
            raise ValueError(
                f"src_transcript has {ys_pad.size(0)} sequences for {low.size(0)} inputs"
            )
        return self.src_ctc(low, low_lens, ys_pad[:, : int(ys_lens.max())], ys_lens)

    def _transducer_loss(self, enc, enc_lens, ys_pad, ys_lens):
        frames, lens = self.alignment_frames(enc, enc_lens)
        targets = ys_pad.masked_fill(ys_pad == self.ignore_id, self.blank_id)  # (B, U)
        # the prediction network reads blank (the start symbol) followed by the targets
        dec_in = torch.cat([targets.new_full((targets.size(0), 1), self.blank_id), targets], dim=1)
        self.decoder.set_device(frames.device)
        dec_out = self.decoder(dec_in)  # (B, U+1, D_dec)
        logits = self.joint_network(frames.unsqueeze(2), dec_out.unsqueeze(1))  # (B, T, U+1, V)
        return transducer_loss(logits, targets, lens, ys_lens, blank=self.blank_id)

    def collect_feats(self, text, text_lengths, src_text, src_text_lengths, **kwargs):
        if self.extract_feats_in_collect_stats:
            feats, lens = self._embed(src_text, src_text_lengths)
        else:
            feats, lens = src_text, src_text_lengths
        return {"feats": feats, "feats_lengths": lens}
