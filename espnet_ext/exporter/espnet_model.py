"""ASR encoder -> exporter -> MT encoder/decoder, trained with L2 to the MT embeddings + MT CE.

One training step on a batch (speech, target ``text``, optional source ``src_text``):

1. the ASR model encodes the speech (no gradient unless ``train_asr_encoder``; the ASR model is
   always in eval mode, so no SpecAugment or dropout outside a trained encoder);
2. greedy CTC gives the 1-best tokens y_1..y_N and their frames (no gradient);
3. the exporter maps them to vectors v_1..v_N (:class:`~espnet_ext.exporter.exporter.
   CTCPoolExporter`);
4. ``l2`` = mean over the batch's 1-best tokens of ||v_i - E[y_i]||^2, with E the MT source
   embedding table (``mt.frontend.embed[0]``, before scaling and positional encoding; see
   :mod:`espnet_ext.exporter.mt_input`); E[y_i] is a detached target, so L2 trains only the
   exporter side, also in incremental mode;
5. the vectors replace the token embeddings at the MT encoder input; ``ce`` is the MT decoder's
   label-smoothed cross-entropy on the reference translation (ESPnet's MT criterion, same
   normalisation as MT training). Its gradient reaches the exporter (and the ASR encoder) through
   the MT model, which is frozen (``mt_mode: fixed``, eval mode, ``requires_grad=False``) or
   trained along (``mt_mode: incremental``, train mode).

``loss = l2_weight * l2 + ce_weight * ce + asr_ctc_weight * asr_ctc + text_mt_weight * text_mt``
where the optional ``asr_ctc`` (CTC of the trained ASR encoder on ``src_text``, keeps its 1-best
from drifting) and ``text_mt`` (MT loss on the reference transcript, keeps the trained MT good on
text) need ``src_text``.
"""

from __future__ import annotations

import contextlib

import torch
from espnet2.torch_utils.device_funcs import force_gatherable
from espnet2.train.abs_espnet_model import AbsESPnetModel

from espnet_ext.exporter.alignment import CTCAlignment, ctc_greedy_align
from espnet_ext.exporter.exporter import CTCPoolExporter
from espnet_ext.exporter.mt_input import check_mt_model, embed_tokens, encode_embeddings

MT_MODES = ("fixed", "incremental")


class ESPnetExporterModel(AbsESPnetModel):
    """Exporter between an ESPnet ASR model (with CTC) and an ESPnet MT model.

    Args:
        asr: ``ESPnetASRModel`` with a CTC branch (its vocabulary = the MT source vocabulary).
        mt: ``ESPnetMTModel`` with the ``embed`` frontend.
        exporter: the exporter layer.
        mt_mode: ``fixed`` (MT frozen) or ``incremental`` (MT trained with the exporter).
        l2_weight: weight of the L2 loss.
        ce_weight: weight of the MT cross-entropy through the exporter.
        train_asr_encoder: also train the ASR encoder (the rest of the ASR stays frozen).
        asr_ctc_weight: weight of the ASR CTC loss on ``src_text`` (needs ``train_asr_encoder``).
        text_mt_weight: weight of the MT loss on ``src_text`` (needs ``mt_mode: incremental``).
        extract_feats_in_collect_stats: ESPnet's switch; False lets ``--collect_stats`` write the
            shape files without building this model (it has no feature statistics of its own).
    """

    def __init__(
        self,
        asr: torch.nn.Module,
        mt: torch.nn.Module,
        exporter: CTCPoolExporter,
        mt_mode: str = "fixed",
        l2_weight: float = 1.0,
        ce_weight: float = 1.0,
        train_asr_encoder: bool = False,
        asr_ctc_weight: float = 0.0,
        text_mt_weight: float = 0.0,
        extract_feats_in_collect_stats: bool = False,
    ):
        super().__init__()
        if mt_mode not in MT_MODES:
            raise ValueError(f"unknown mt_mode {mt_mode!r}; choose one of {list(MT_MODES)}")
        if getattr(asr, "ctc", None) is None:
            raise ValueError("the ASR model has no CTC branch (trained with ctc_weight 0?)")
        check_mt_model(mt)
        if asr.vocab_size != mt.src_vocab_size:
            raise ValueError(
                f"ASR vocabulary ({asr.vocab_size}) != MT source vocabulary ({mt.src_vocab_size})"
            )
        if asr_ctc_weight > 0 and not train_asr_encoder:
            raise ValueError("asr_ctc_weight > 0 needs train_asr_encoder: true")
        if text_mt_weight > 0 and mt_mode != "incremental":
            raise ValueError("text_mt_weight > 0 needs mt_mode: incremental")
        weights = dict(
            l2_weight=l2_weight,
            ce_weight=ce_weight,
            asr_ctc_weight=asr_ctc_weight,
            text_mt_weight=text_mt_weight,
        )
        for name, value in weights.items():
            if value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        self.asr = asr
        self.mt = mt
        self.exporter = exporter
        self.mt_mode = mt_mode
        self.l2_weight = l2_weight
        self.ce_weight = ce_weight
        self.train_asr_encoder = train_asr_encoder
        self.asr_ctc_weight = asr_ctc_weight
        self.text_mt_weight = text_mt_weight
        self.extract_feats_in_collect_stats = extract_feats_in_collect_stats
        for prefix in self.frozen_prefixes():
            for p in self.get_submodule(prefix).parameters():
                p.requires_grad = False
        self.train(self.training)

    def frozen_prefixes(self) -> list[str]:
        """Names of the frozen submodules (ESPnet ``freeze_param`` prefixes).

        ASR submodules with only buffers (a mel matrix, normalisation statistics) are listed too,
        so that tools counting frozen tensors from a checkpoint see them as frozen.
        """
        prefixes = [
            f"asr.{name}"
            for name, module in self.asr.named_children()
            if not (name == "encoder" and self.train_asr_encoder) and module.state_dict()
        ]
        if self.mt_mode == "fixed":
            prefixes.append("mt")
        return prefixes

    def train(self, mode: bool = True):
        """Frozen parts stay in eval mode (no dropout) whatever the trainer asks for."""
        super().train(mode)
        self.asr.eval()
        if self.train_asr_encoder:
            self.asr.encoder.train(mode)
        if self.mt_mode == "fixed":
            self.mt.eval()
        return self

    # --- the steps of forward(), also used by inference ---

    def asr_encode(
        self, speech: torch.Tensor, speech_lengths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """ASR encoder output (B, T, D_asr) and lengths (B,)."""
        grad = torch.is_grad_enabled() and self.train_asr_encoder
        with torch.set_grad_enabled(grad):
            enc, enc_lens = self.asr.encode(speech, speech_lengths)
        if isinstance(enc, tuple):  # intermediate CTC outputs
            enc = enc[0]
        return enc, enc_lens

    @torch.no_grad()
    def align(self, enc: torch.Tensor, enc_lens: torch.Tensor) -> CTCAlignment:
        """Greedy CTC 1-best of the encoder output, with the frames of each token."""
        return ctc_greedy_align(
            self.asr.ctc.argmax(enc),
            enc_lens,
            blank=getattr(self.asr, "blank_id", 0),
            include_blanks=self.exporter.include_blanks,
        )

    def export(
        self,
        enc: torch.Tensor,
        enc_lens: torch.Tensor,
        alignment: CTCAlignment,
        oracle: bool = False,
    ) -> torch.Tensor:
        """(B, N, D_mt) vectors for the 1-best tokens; ``oracle``: the MT embeddings themselves."""
        if oracle:
            emb = embed_tokens(self.mt, alignment.tokens)
            return emb.masked_fill(~alignment.token_mask()[:, :, None], 0.0)
        return self.exporter(enc, enc_lens, alignment)

    def mt_encode(
        self, vectors: torch.Tensor, token_lens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """MT encoder output for exported vectors (see :func:`encode_embeddings`)."""
        return encode_embeddings(self.mt, vectors, token_lens)

    def forward(
        self,
        speech: torch.Tensor,
        speech_lengths: torch.Tensor,
        text: torch.Tensor,
        text_lengths: torch.Tensor,
        src_text: torch.Tensor | None = None,
        src_text_lengths: torch.Tensor | None = None,
        **kwargs,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        """Loss of a batch.

        Args:
            speech: (B, L) float waveforms; speech_lengths: (B,) long.
            text: (B, U) long target token ids (MT target vocabulary), padded with -1.
            text_lengths: (B,) long.
            src_text: (B, S) long source token ids, padded with -1 (only for the optional
                ``asr_ctc``/``text_mt`` losses); src_text_lengths: (B,) long.

        Returns:
            loss, stats (``loss``, ``l2``, ``l2_dist``, ``ce``, ``acc``, ``tokens_per_utt`` and
            the optional terms), batch size as the weight.
        """
        assert speech.size(0) == text.size(0) == speech_lengths.size(0), (
            speech.shape,
            text.shape,
            speech_lengths.shape,
        )
        batch_size = speech.size(0)
        text = text[:, : int(text_lengths.max())]
        needs_src = self.asr_ctc_weight > 0 or self.text_mt_weight > 0
        if needs_src and src_text is None:
            raise ValueError("asr_ctc_weight/text_mt_weight > 0 need src_text in the data")

        enc, enc_lens = self.asr_encode(speech, speech_lengths)
        alignment = self.align(enc, enc_lens)
        vectors = self.export(enc, enc_lens, alignment)

        mask = alignment.token_mask()
        target = embed_tokens(self.mt, alignment.tokens).detach()
        sq = ((vectors - target) ** 2).sum(dim=-1)  # (B, N)
        n_tok = mask.sum()
        denom = n_tok.clamp(min=1).to(sq.dtype)
        loss_l2 = sq.masked_fill(~mask, 0.0).sum() / denom
        l2_dist = sq.detach().clamp(min=0).sqrt().masked_fill(~mask, 0.0).sum() / denom

        mt_enc, mt_enc_lens = self.mt_encode(vectors, alignment.token_lens)
        loss_ce, acc, bleu = self._mt_loss(mt_enc, mt_enc_lens, text, text_lengths)

        loss = self.l2_weight * loss_l2 + self.ce_weight * loss_ce
        stats = dict(
            l2=loss_l2.detach(),
            l2_dist=l2_dist,
            ce=loss_ce.detach(),
            acc=acc,
            tokens_per_utt=n_tok.detach().float() / batch_size,
        )
        if bleu is not None:
            stats["bleu"] = bleu
        if self.asr_ctc_weight > 0:
            src = src_text[:, : int(src_text_lengths.max())]
            loss_ctc = self.asr.ctc(enc, enc_lens, src, src_text_lengths)
            loss = loss + self.asr_ctc_weight * loss_ctc
            stats["asr_ctc"] = loss_ctc.detach()
        if self.text_mt_weight > 0:
            loss_text, _, _ = self.mt(text, text_lengths, src_text, src_text_lengths)
            loss = loss + self.text_mt_weight * loss_text
            stats["text_mt"] = loss_text.detach()
        stats["loss"] = loss.detach()
        loss, stats, weight = force_gatherable((loss, stats, batch_size), loss.device)
        return loss, stats, weight

    def _mt_loss(self, enc, enc_lens, ys_pad, ys_lens):
        """ESPnet's MT decoder loss and accuracy (BLEU only in eval mode, if the MT reports it)."""
        # imported here: isort and ruff disagree on ordering `espnet` after `espnet2`
        from espnet.nets.pytorch_backend.nets_utils import th_accuracy
        from espnet.nets.pytorch_backend.transformer.add_sos_eos import add_sos_eos

        mt = self.mt
        ys_in, ys_out = add_sos_eos(ys_pad, mt.sos, mt.eos, mt.ignore_id)
        dec_out, _ = mt.decoder(enc, enc_lens, ys_in, ys_lens + 1)
        loss = mt.criterion_mt(dec_out, ys_out)
        acc = th_accuracy(dec_out.view(-1, mt.vocab_size), ys_out, ignore_label=mt.ignore_id)
        bleu = None
        if not self.training and mt.mt_error_calculator is not None:
            bleu = mt.mt_error_calculator(dec_out.argmax(dim=-1).cpu(), ys_pad.cpu())
        return loss, acc, bleu

    def collect_feats(self, speech, speech_lengths, **kwargs) -> dict[str, torch.Tensor]:
        """The ASR model's features (only used with ``extract_feats_in_collect_stats: true``)."""
        ctx = contextlib.nullcontext() if self.train_asr_encoder else torch.no_grad()
        with ctx:
            feats, feats_lengths = self.asr._extract_feats(speech, speech_lengths)
        return {"feats": feats, "feats_lengths": feats_lengths}
