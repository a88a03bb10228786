"""Decoding a discrete ST model: beam search for AED and CTC/attention (joint decoding), greedy
CTC, and greedy or beam search for RNN-T.

=========  ============================================================================
family     search
=========  ============================================================================
AED        ESPnet ``BeamSearch`` with the attention decoder (+ length bonus ``penalty``)
CTC/att    the same with ``CTCPrefixScorer`` at weight ``ctc_weight`` (joint decoding)
CTC        best path: argmax per frame, repeats merged, blanks dropped
RNN-T      ESPnet ``BeamSearchTransducer`` (``beam_size: 1`` is greedy search)
=========  ============================================================================

The input is one utterance's joint-vocabulary ids, units or up-sampled text alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from espnet_ext.discrete.task import DiscreteSTTask

log = logging.getLogger(__name__)


@dataclass
class Result:
    text: str
    tokens: list[str]
    token_ids: list[int]
    score: float


class _AlignmentCTC(torch.nn.Module):
    """The model's CTC seen through its frame up-sampler, for ``CTCPrefixScorer``."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def log_softmax(self, enc: torch.Tensor) -> torch.Tensor:
        frames, _ = self.model.alignment_frames(
            enc, torch.full((enc.size(0),), enc.size(1), device=enc.device)
        )
        return self.model.ctc.log_softmax(frames)


class Discrete2Text:
    """Load a trained model and turn joint-vocabulary id sequences into target text.

    Args:
        train_config, model_file: the training's ``config.yaml`` and checkpoint.
        beam_size: hypotheses kept (AED, CTC/att, RNN-T; 1 = greedy for RNN-T).
        ctc_weight: CTC prefix score weight in joint decoding; None: the training ``ctc_weight``
            for CTC/att models, 0 otherwise.
        penalty, maxlenratio, minlenratio, nbest, normalize_length: as in ESPnet's inference.
        transducer_search_type: ``default``, ``tsd``, ``alsd``, ``nsc`` or ``maes`` (ESPnet's).
    """

    def __init__(
        self,
        train_config: str | Path,
        model_file: str | Path,
        device: str = "cpu",
        beam_size: int = 10,
        ctc_weight: float | None = None,
        penalty: float = 0.0,
        maxlenratio: float = 0.0,
        minlenratio: float = 0.0,
        nbest: int = 1,
        normalize_length: bool = False,
        transducer_search_type: str = "default",
    ):
        from espnet2.text.build_tokenizer import build_tokenizer
        from espnet2.text.token_id_converter import TokenIDConverter

        model, args = DiscreteSTTask.build_model_from_file(train_config, model_file, device)
        self.model = model.eval()
        self.train_args = args
        self.device = device
        self.maxlenratio, self.minlenratio, self.nbest = maxlenratio, minlenratio, nbest
        self.converter = TokenIDConverter(token_list=model.token_list)
        self.tokenizer = (
            build_tokenizer(token_type=args.token_type, bpemodel=args.bpemodel)
            if args.bpemodel
            else None
        )
        arch = model.architecture
        if ctc_weight is None:
            ctc_weight = model.ctc_weight if arch == "ctc_att" else 0.0
        if ctc_weight > 0 and model.ctc is None:
            raise ValueError(f"ctc_weight={ctc_weight} but this {arch} model has no CTC branch")
        self.search = None
        if arch in ("aed", "ctc_att"):
            self.search = self._beam_search(
                beam_size, ctc_weight, penalty, normalize_length, nbest
            )
        elif arch == "rnnt":
            from espnet2.asr.transducer.beam_search_transducer import BeamSearchTransducer

            self.search = BeamSearchTransducer(
                decoder=model.decoder,
                joint_network=model.joint_network,
                beam_size=beam_size,
                search_type=transducer_search_type,
                nbest=nbest,
                token_list=None,
            )
        log.info("%s model, beam %d, ctc_weight %.2f", arch, beam_size, ctc_weight)

    def _beam_search(self, beam_size, ctc_weight, penalty, normalize_length, nbest):
        from espnet.nets.batch_beam_search import BatchBeamSearch
        from espnet.nets.scorers.ctc import CTCPrefixScorer
        from espnet.nets.scorers.length_bonus import LengthBonus

        m = self.model
        scorers = {"decoder": m.decoder, "length_bonus": LengthBonus(m.vocab_size)}
        weights = {"decoder": 1.0 - ctc_weight, "length_bonus": penalty}
        if ctc_weight > 0:
            scorers["ctc"] = CTCPrefixScorer(ctc=_AlignmentCTC(m), eos=m.eos)
            weights["ctc"] = ctc_weight
        search = BatchBeamSearch(
            beam_size=beam_size,
            weights=weights,
            scorers=scorers,
            sos=m.sos,
            eos=m.eos,
            vocab_size=m.vocab_size,
            token_list=None,
            pre_beam_score_key="full",
            normalize_length=normalize_length,
        )
        return search.to(self.device).eval()

    @torch.no_grad()
    def __call__(self, src_ids) -> list[Result]:
        """One utterance's joint-vocabulary ids, (T,) -> n-best results, best first."""
        src = torch.as_tensor(src_ids, dtype=torch.long, device=self.device)[None]  # (1, T)
        enc, enc_lens = self.model.encode(src, torch.tensor([src.size(1)], device=self.device))
        arch = self.model.architecture
        if arch == "ctc":
            frames, lens = self.model.alignment_frames(enc, enc_lens)
            best = self.model.ctc.argmax(frames)[0, : int(lens[0])]
            logp = self.model.ctc.log_softmax(frames)[0, : int(lens[0])].max(dim=-1).values.sum()
            ids = [int(t) for t in torch.unique_consecutive(best) if int(t) != self.model.blank_id]
            return [self._result(ids, float(logp))]
        if arch == "rnnt":
            frames, lens = self.model.alignment_frames(enc, enc_lens)
            hyps = self.search(frames[0, : int(lens[0])])
            return [self._result(list(h.yseq[1:]), float(h.score)) for h in hyps[: self.nbest]]
        hyps = self.search(x=enc[0], maxlenratio=self.maxlenratio, minlenratio=self.minlenratio)
        out = []
        for h in hyps[: self.nbest]:
            ids = [int(t) for t in h.yseq.tolist()[1:]]
            if ids and ids[-1] == self.model.eos:
                ids = ids[:-1]
            out.append(self._result(ids, float(h.score)))
        return out

    def _result(self, ids: list[int], score: float) -> Result:
        ids = [i for i in ids if i not in (self.model.blank_id, self.model.eos)]
        tokens = self.converter.ids2tokens(ids)
        text = (
            self.tokenizer.tokens2text(tokens) if self.tokenizer is not None else " ".join(tokens)
        )
        return Result(text, tokens, ids, score)


def decode_dir(
    decoder: Discrete2Text,
    data_path_and_name_and_type: list[tuple[str, str, str]],
    output_dir: str | Path,
    key_file: str | None = None,
) -> dict:
    """Decode every utterance of the data files and write ESPnet's ``1best_recog/`` layout
    (``text``, ``token``, ``token_int``, ``score``; ``<n>best_recog/`` for ``nbest > 1``)."""
    from espnet_ext.pipeline.datadir import write_map

    train_args = decoder.train_args
    loader = DiscreteSTTask.build_streaming_iterator(
        data_path_and_name_and_type,
        dtype="float32",
        batch_size=1,
        key_file=key_file,
        num_workers=1,
        preprocess_fn=DiscreteSTTask.build_preprocess_fn(train_args, False),
        collate_fn=DiscreteSTTask.build_collate_fn(train_args, False),
        allow_variable_data_keys=False,
        inference=True,
    )
    outputs: dict[int, dict[str, dict[str, str]]] = {}
    empty = 0
    for keys, batch in loader:
        src = batch["src_text"][0, : int(batch["src_text_lengths"][0])]
        results = decoder(src)
        if not results:
            empty += 1
            log.warning("%s: no hypothesis; writing an empty line", keys[0])
        for n in range(1, decoder.nbest + 1):
            r = results[n - 1] if len(results) >= n else Result("", [], [], float("-inf"))
            files = outputs.setdefault(n, {"text": {}, "token": {}, "token_int": {}, "score": {}})
            files["text"][keys[0]] = r.text
            files["token"][keys[0]] = " ".join(r.tokens)
            files["token_int"][keys[0]] = " ".join(map(str, r.token_ids))
            files["score"][keys[0]] = str(r.score)
    for n, files in outputs.items():
        for name, mapping in files.items():
            write_map(Path(output_dir) / f"{n}best_recog" / name, mapping)
    n_utts = len(outputs.get(1, {}).get("text", {}))
    log.info("decoded %d utterances (%d without hypothesis) -> %s", n_utts, empty, output_dir)
    return {"utterances": n_utts, "empty": empty}
