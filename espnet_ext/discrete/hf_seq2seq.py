"""The encoder and decoder stacks of a pretrained Hugging Face seq2seq model (mBART, Marian, BART).

``encoder: hf_seq2seq`` and ``decoder: hf_seq2seq`` (task ``discrete``) run the transformer
stacks of ``AutoModelForSeq2SeqLM.from_pretrained(name_or_path)`` (loaded through
:func:`espnet_ext.connectors.mt.load_mt_model`) over this project's vocabularies: the joint
source list (units + source-text pieces) and the target list.

**Who embeds what.** The encoder owns its source embedding and is used with ``frontend: none``:
the ids go straight into the encoder, which computes ``embed(ids) * embed_scale`` and passes it as
``inputs_embeds``; the Hugging Face stack then adds its own positions (learned for mBART,
sinusoidal for Marian), applies ``layernorm_embedding`` and dropout, exactly as it does for its
own ``input_ids``. ``embed_scale`` is whatever makes the ``inputs_embeds`` path equal the
``input_ids`` path of that stack (:func:`inputs_embeds_scale`; ``sqrt(d_model)`` for mBART).
ESPnet's ``embed`` frontend would add sinusoidal positions (and scale by ``sqrt(d)``) on top of
the model's own, which the pretrained layers never saw. The decoder likewise owns the target
embedding and the output layer (not tied, each initialised from the pretrained rows).

**Vocabulary transfer.** Each row of the source embedding, the target embedding and the output
layer whose piece (a SentencePiece string such as ``▁the``) is in the pretrained tokenizer's
vocabulary (the target one for the decoder, where a Marian tokenizer keeps two) starts from the
pretrained row of that piece. ESPnet's specials map to the tokenizer's: ``<unk>`` -> its unk
token; ``<sos/eos>`` -> the decoder start token in the target embedding (ESPnet feeds it only as
the start symbol; mBART: ``</s>``, Marian: ``<pad>``) and the eos token elsewhere. Source pieces
matching the encoder's ``transfer_exclude`` are skipped. The other rows (unit pieces, unmatched
pieces, ``<blank>``) are drawn fresh from a normal distribution with the pretrained rows'
per-dimension mean and standard deviation, so that they enter the pretrained layers at the scale
those expect (a default N(0, 1) row times mBART's ``embed_scale`` of 32 would be about a thousand
times too large); output-layer biases of unmatched rows get the mean pretrained bias.

**Initialisation.** ESPnet's ``init`` (``xavier_uniform`` ...) runs over the whole model after it
is built. Both modules keep a CPU copy of their initial state and restore it in
``reload_pretrained_parameters`` (the hook ESPnet's ``initialize`` calls on ``model.encoder`` and
``model.decoder``; ``DiscreteSTTask.build_model`` calls it as well, for ``init: chainer``), then
the task releases the copy.

Limits: positions beyond the model's ``max_position_embeddings`` (1024 for mBART) are refused;
the decoder recomputes the whole prefix at every search step (no key/value cache); dropout is the
pretrained config's; mBART's language codes are not added to the inputs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import torch
from espnet.nets.scorer_interface import BatchScorerInterface
from typeguard import typechecked

# isort: split
from espnet2.asr.decoder.abs_decoder import AbsDecoder
from espnet2.asr.encoder.abs_encoder import AbsEncoder

from espnet_ext.connectors.mt import decoder_start_token_id, load_mt_model, load_mt_tokenizer

log = logging.getLogger(__name__)


def load_pretrained(name_or_path: str):
    """The seq2seq model and its tokenizer; errors name ``name_or_path``."""
    try:
        return load_mt_model(name_or_path), load_mt_tokenizer(name_or_path)
    except (OSError, ValueError) as e:
        raise ValueError(
            f"cannot load the pretrained seq2seq model {name_or_path!r} (a Hugging Face hub name "
            f"or a directory written by save_pretrained): {e}"
        ) from e


def pretrained_vocab(tokenizer, side: str, start_token_id: int | None = None) -> dict[str, int]:
    """``{piece: pretrained id}`` of one side, ESPnet's specials included.

    Args:
        tokenizer: the pretrained model's tokenizer.
        side: ``source`` or ``target`` (Marian tokenizers may hold separate vocabularies, e.g.
            the recipe's own exported MT model).
        start_token_id: for the decoder input side: ESPnet feeds ``<sos/eos>`` only as the start
            symbol, so it takes the row of the pretrained decoder start token (mBART: ``</s>``,
            Marian: ``<pad>``); elsewhere ``<sos/eos>`` is the end symbol, the eos token.
    """
    if side == "target" and getattr(tokenizer, "separate_vocabs", False):
        vocab = dict(tokenizer.target_encoder)
    else:
        vocab = dict(tokenizer.get_vocab())
    eos, unk = tokenizer.eos_token, tokenizer.unk_token
    if start_token_id is not None:
        vocab["<sos/eos>"] = start_token_id
    elif eos is not None and eos in vocab:
        vocab["<sos/eos>"] = vocab[eos]
    if unk is not None and unk in vocab:
        vocab.setdefault("<unk>", vocab[unk])
    return vocab


def _declared_scale(stack: torch.nn.Module) -> float:
    for holder in (getattr(stack, "embed_tokens", None), stack):
        scale = getattr(holder, "embed_scale", None)
        if scale is not None:
            return float(scale)
    return 1.0


@torch.no_grad()
def inputs_embeds_scale(stack: torch.nn.Module, **context) -> float:
    """The factor by which embedding rows passed as ``inputs_embeds`` must be multiplied so that
    ``stack`` computes what it computes from ``input_ids``.

    Models disagree on where the ``sqrt(d_model)`` scale lives: BART and mBART scale inside the
    embedding module (which ``inputs_embeds`` bypasses), Marian's encoder scales on the
    ``input_ids`` path only, and Marian's decoder scales ``inputs_embeds`` too. Rather than
    keeping a list of models, the stack is run (in eval mode) on a few of its own ids both ways.

    Args:
        stack: a Hugging Face encoder or decoder that still has its ``embed_tokens``.
        context: extra forward arguments (a decoder needs ``encoder_hidden_states``).
    """
    declared = _declared_scale(stack)
    ids = torch.arange(min(4, stack.embed_tokens.num_embeddings))[None]  # (1, 4)
    rows = stack.embed_tokens.weight[ids]  # (1, 4, D) unscaled
    was_training = stack.training
    stack.eval()
    try:
        want = stack(input_ids=ids, **context).last_hidden_state
        for scale in dict.fromkeys((declared, 1.0)):
            got = stack(inputs_embeds=rows * scale, **context).last_hidden_state
            if torch.allclose(got, want, rtol=1e-4, atol=1e-5):
                return scale
    finally:
        stack.train(was_training)
    raise ValueError(
        f"{type(stack).__name__}: inputs_embeds reproduce the input_ids path neither unscaled "
        f"nor scaled by {declared}"
    )


@torch.no_grad()
def transfer_rows(
    weight: torch.Tensor,
    pieces: Sequence[str],
    pretrained: torch.Tensor,
    vocab: dict[str, int],
    bias: torch.Tensor | None = None,
    pretrained_bias: torch.Tensor | None = None,
    exclude: str = "",
) -> int:
    """Fill ``weight`` (V, D) row by row: pretrained row of the same piece, else a fresh draw.

    Args:
        weight: (V, D) float, the rows of ``pieces`` (embedding or output-layer weight).
        pieces: V token strings.
        pretrained: (V', D) float, the pretrained model's rows, indexed by ``vocab``.
        vocab: ``{piece: pretrained id}``.
        bias, pretrained_bias: (V,) and (V',) output-layer biases, optional.
        exclude: regular expression; pieces it matches entirely are never transferred.

    Returns:
        the number of rows copied from ``pretrained``.
    """
    if weight.shape != (len(pieces), pretrained.size(1)):
        raise ValueError(
            f"rows {tuple(weight.shape)} do not fit {len(pieces)} pieces of dimension "
            f"{pretrained.size(1)}"
        )
    mean, std = pretrained.mean(dim=0), pretrained.std(dim=0)
    weight.copy_(mean + std * torch.randn_like(weight))
    if bias is not None:
        bias.fill_(float(pretrained_bias.mean()) if pretrained_bias is not None else 0.0)
    skip = re.compile(exclude) if exclude else None
    ours, theirs = [], []
    for i, piece in enumerate(pieces):
        if skip is not None and skip.fullmatch(piece):
            continue
        j = vocab.get(piece)
        if j is not None and j < pretrained.size(0):
            ours.append(i)
            theirs.append(j)
    if ours:
        ours_t, theirs_t = torch.tensor(ours), torch.tensor(theirs)
        weight[ours_t] = pretrained[theirs_t].to(weight.dtype)
        if bias is not None and pretrained_bias is not None:
            bias[ours_t] = pretrained_bias[theirs_t].to(bias.dtype)
    return len(ours)


class _KeepsPretrained:
    """Restores the state a module had when built, after ESPnet's ``init`` overwrote it.

    The copy is as large as the module (~2.4 GB for mBART-large's two stacks in float32), so the
    task drops it once the model is built and initialised (:meth:`release_initial_state`)."""

    def _remember_state(self) -> None:
        # a plain attribute, not a buffer: it stays out of checkpoints and off the GPU
        self._initial_state = {k: v.detach().cpu().clone() for k, v in self.state_dict().items()}

    def reload_pretrained_parameters(self) -> None:
        if self._initial_state is None:
            raise RuntimeError(
                f"{type(self).__name__} ({self.name_or_path}): the pretrained state was released "
                "after the model was built; restore it before release_initial_state()"
            )
        self.load_state_dict(self._initial_state)
        log.info("%s: pretrained parameters restored", type(self).__name__)

    def release_initial_state(self) -> None:
        self._initial_state = None


def _check_length(length: int, stack: torch.nn.Module, name_or_path: str) -> None:
    limit = getattr(stack.config, "max_position_embeddings", None)
    if limit is not None and length > limit:
        raise ValueError(
            f"sequence of {length} positions exceeds {name_or_path!r}'s "
            f"max_position_embeddings={limit}"
        )


class HFSeq2SeqEncoder(_KeepsPretrained, AbsEncoder):
    """The encoder stack of a pretrained seq2seq model, with an embedding of our source pieces.

    Use with ``frontend: none``: the input is ids, not features (see the module docstring).

    Args:
        input_size: source vocabulary size V_src (the task passes the joint list's length).
        name_or_path: Hugging Face hub name or local directory (``save_pretrained`` output).
        token_list: V_src source pieces (the task passes the joint token list).
        transfer_vocabulary: initialise matching embedding rows from the pretrained ones.
        transfer_exclude: regular expression of source pieces never transferred. Unit pieces
            are made of one Unicode block (``unit_char_offset``, CJK ideographs by default), which
            a multilingual vocabulary such as mBART's also holds: exclude that block, e.g.
            ``"[\u4e00-\u55cf]+"`` for 2000 units at the default offset.
    """

    needs_token_list = True

    @typechecked
    def __init__(
        self,
        input_size: int,
        name_or_path: str,
        token_list: Sequence[str] = (),
        transfer_vocabulary: bool = True,
        transfer_exclude: str = "",
    ):
        super().__init__()
        if len(token_list) not in (0, input_size):
            raise ValueError(f"token_list has {len(token_list)} pieces, input_size={input_size}")
        model, tokenizer = load_pretrained(name_or_path)
        vocab = pretrained_vocab(tokenizer, "source")
        self.name_or_path = name_or_path
        self.stack = model.get_encoder()
        self.embed_scale = inputs_embeds_scale(self.stack)
        self._size = int(model.config.d_model)
        pretrained = self.stack.embed_tokens.weight.detach()
        # the pretrained vocabulary's table is replaced by ours; drop it before it is copied around
        self.stack.embed_tokens = None
        self.embed = torch.nn.Embedding(input_size, self._size)
        self.n_transferred = 0
        if transfer_vocabulary and token_list:
            self.n_transferred = transfer_rows(
                self.embed.weight, token_list, pretrained, vocab, exclude=transfer_exclude
            )
        log.info(
            "%s encoder: %d of %d source embedding rows from the pretrained vocabulary",
            name_or_path,
            self.n_transferred,
            input_size,
        )
        self._remember_state()

    def output_size(self) -> int:
        return self._size

    def forward(
        self,
        xs_pad: torch.Tensor,
        ilens: torch.Tensor,
        prev_states: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, None]:
        """Source ids (B, T) long, lengths (B,) -> (B, T, D) float, lengths (B,), None."""
        if xs_pad.dim() != 2 or xs_pad.is_floating_point():
            raise ValueError(
                f"hf_seq2seq encoder takes token ids (B, T) (use frontend: none), got "
                f"{xs_pad.dtype} {tuple(xs_pad.shape)}"
            )
        _check_length(xs_pad.size(1), self.stack, self.name_or_path)
        mask = torch.arange(xs_pad.size(1), device=xs_pad.device)[None] < ilens[:, None]  # (B, T)
        embeds = self.embed(xs_pad) * self.embed_scale
        out = self.stack(inputs_embeds=embeds, attention_mask=mask.long())
        return out.last_hidden_state, ilens, None


class HFSeq2SeqDecoder(_KeepsPretrained, AbsDecoder, BatchScorerInterface):
    """The decoder stack of a pretrained seq2seq model, with our target embedding and output layer.

    Args:
        vocab_size: target vocabulary size V (``<sos/eos>`` last).
        encoder_output_size: D_enc; a linear layer maps it to the model's d_model when different.
        name_or_path: Hugging Face hub name or local directory (``save_pretrained`` output).
        token_list: V target pieces (the task passes the target token list).
        transfer_vocabulary: initialise matching embedding/output rows from the pretrained ones.
    """

    needs_token_list = True

    @typechecked
    def __init__(
        self,
        vocab_size: int,
        encoder_output_size: int,
        name_or_path: str,
        token_list: Sequence[str] = (),
        transfer_vocabulary: bool = True,
    ):
        super().__init__()
        if len(token_list) not in (0, vocab_size):
            raise ValueError(f"token_list has {len(token_list)} pieces, vocab_size={vocab_size}")
        model, tokenizer = load_pretrained(name_or_path)
        vocab_in = pretrained_vocab(tokenizer, "target", decoder_start_token_id(model))
        vocab_out = pretrained_vocab(tokenizer, "target")
        self.name_or_path = name_or_path
        self.stack = model.get_decoder()
        d_model = int(model.config.d_model)
        self.embed_scale = inputs_embeds_scale(
            self.stack, encoder_hidden_states=torch.zeros(1, 1, d_model)
        )
        self.enc_proj = (
            torch.nn.Linear(encoder_output_size, d_model)
            if encoder_output_size != d_model
            else None
        )
        pretrained_in = self.stack.embed_tokens.weight.detach()
        head = model.get_output_embeddings()
        pretrained_out = head.weight.detach()
        # BART-family models add a (usually zero) bias buffer to the tied output projection
        pretrained_bias = getattr(model, "final_logits_bias", None)
        if pretrained_bias is None and getattr(head, "bias", None) is not None:
            pretrained_bias = head.bias
        if pretrained_bias is not None:
            pretrained_bias = pretrained_bias.detach().reshape(-1)
        self.stack.embed_tokens = None
        self.embed = torch.nn.Embedding(vocab_size, d_model)
        self.output_layer = torch.nn.Linear(d_model, vocab_size)
        self.n_transferred = self.n_transferred_output = 0
        if transfer_vocabulary and token_list:
            self.n_transferred = transfer_rows(
                self.embed.weight, token_list, pretrained_in, vocab_in
            )
            n_out = transfer_rows(
                self.output_layer.weight,
                token_list,
                pretrained_out,
                vocab_out,
                bias=self.output_layer.bias,
                pretrained_bias=pretrained_bias,
            )
            self.n_transferred_output = n_out
        log.info(
            "%s decoder: %d target embedding and %d output rows of %d from the pretrained "
            "vocabulary",
            name_or_path,
            self.n_transferred,
            self.n_transferred_output,
            vocab_size,
        )
        self._remember_state()

    def _logits(
        self,
        ys: torch.Tensor,
        ys_mask: torch.Tensor | None,
        memory: torch.Tensor,
        memory_mask: torch.Tensor | None,
    ) -> torch.Tensor:
        """ys (B, L) long, memory (B, T, D_enc) -> logits (B, L, V)."""
        _check_length(ys.size(1), self.stack, self.name_or_path)
        if self.enc_proj is not None:
            memory = self.enc_proj(memory)
        out = self.stack(
            inputs_embeds=self.embed(ys) * self.embed_scale,
            attention_mask=ys_mask,
            encoder_hidden_states=memory,
            encoder_attention_mask=memory_mask,
            use_cache=False,
        )
        return self.output_layer(out.last_hidden_state)

    def forward(
        self,
        hs_pad: torch.Tensor,
        hlens: torch.Tensor,
        ys_in_pad: torch.Tensor,
        ys_in_lens: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher forcing.

        Args:
            hs_pad: (B, T, D_enc) encoder output; hlens: (B,) its lengths.
            ys_in_pad: (B, L) long, ``<sos>`` + target (padding: any valid id); ys_in_lens: (B,).

        Returns:
            logits (B, L, V) float, ys_in_lens.
        """
        t = torch.arange(hs_pad.size(1), device=hs_pad.device)
        l_ = torch.arange(ys_in_pad.size(1), device=ys_in_pad.device)
        memory_mask = (t[None] < hlens[:, None]).long()  # (B, T)
        ys_mask = (l_[None] < ys_in_lens[:, None]).long()  # (B, L)
        return self._logits(ys_in_pad, ys_mask, hs_pad, memory_mask), ys_in_lens

    def score(self, ys: torch.Tensor, state, x: torch.Tensor):
        """One hypothesis: ys (L,) long, x (T, D_enc) -> log-probabilities (V,), None."""
        logp, _ = self.batch_score(ys[None], [state], x[None])
        return logp[0], None

    def batch_score(
        self, ys: torch.Tensor, states: list, xs: torch.Tensor
    ) -> tuple[torch.Tensor, list]:
        """n hypotheses: ys (n, L) long, xs (n, T, D_enc) -> log-probabilities (n, V), states.

        The whole prefix is recomputed (no key/value cache), so there is no state to carry.
        """
        logits = self._logits(ys, None, xs, None)[:, -1]  # (n, V)
        return torch.log_softmax(logits, dim=-1), [None] * ys.size(0)
