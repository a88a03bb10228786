"""Prompt template and batch assembly: speech embeddings placed inside a text prompt.

Every utterance becomes ``[prefix, speech_i, suffix, target_i]`` where ``prefix`` and ``suffix``
are the template's text around the speech placeholder, e.g. for
``"Translate the English speech into German: <speech>\\nTranslation:"`` the prefix is
``<bos> Translate the English speech into German:`` and the suffix ``\\nTranslation:``. Each
piece is tokenized on its own (prefix, suffix, target), the same way in training, decoding and
the tiny-LM pretraining (:func:`encode_text_example`), so token boundaries never depend on the
speech.
"""

from __future__ import annotations

import torch

IGNORE_ID = -100


class PromptTemplate:
    """A text template with exactly one speech placeholder.

    Args:
        template: the prompt; ``placeholder`` marks where the speech embeddings go.
        placeholder: the marker in ``template``.
        add_bos: start the prompt with the tokenizer's bos token (when it has one).
    """

    def __init__(
        self,
        template: str = "Translate the English speech into German: <speech>\nTranslation:",
        placeholder: str = "<speech>",
        add_bos: bool = True,
    ):
        count = template.count(placeholder)
        if count != 1:
            raise ValueError(
                f"prompt template must contain the placeholder {placeholder!r} exactly once, "
                f"found {count} in {template!r}"
            )
        self.template = template
        self.placeholder = placeholder
        self.add_bos = add_bos
        self.prefix, self.suffix = template.split(placeholder)

    def token_ids(self, tokenizer) -> tuple[list[int], list[int]]:
        """Token ids of the prefix (with bos) and of the suffix."""
        prefix = tokenizer.encode(self.prefix, add_special_tokens=False) if self.prefix else []
        suffix = tokenizer.encode(self.suffix, add_special_tokens=False) if self.suffix else []
        if self.add_bos and tokenizer.bos_token_id is not None:
            prefix = [tokenizer.bos_token_id] + prefix
        return prefix, suffix


def encode_target(tokenizer, text: str, add_eos: bool = True) -> list[int]:
    """Target token ids: the text on its own, then eos (the stop signal for generation)."""
    ids = tokenizer.encode(text, add_special_tokens=False) if text else []
    return ids + [tokenizer.eos_token_id] if add_eos else ids


def encode_text_example(
    tokenizer, prompt: PromptTemplate, source: str, target: str | None
) -> tuple[list[int], int]:
    """A text-only example laid out like an LST one, the source text in place of the speech.

    Returns the ids ``prefix + source + suffix (+ target + eos)`` and the number of ids before
    the target, so an LM pretrained on these sees the token layout that LST later uses.
    """
    prefix, suffix = prompt.token_ids(tokenizer)
    src = tokenizer.encode(source, add_special_tokens=False) if source else []
    context = prefix + src + suffix
    tgt = encode_target(tokenizer, target) if target is not None else []
    return context + tgt, len(context)


def assemble_inputs(
    prefix: torch.Tensor,
    speech: torch.Tensor,
    speech_lengths: torch.Tensor,
    suffix: torch.Tensor,
    target: torch.Tensor | None = None,
    target_ids: torch.Tensor | None = None,
    target_lengths: torch.Tensor | None = None,
    padding_side: str = "left",
) -> dict[str, torch.Tensor]:
    """Concatenate ``[prefix, speech_i, suffix, target_i]`` per utterance and pad the batch.

    Args:
        prefix: (P, hidden) prompt-prefix embeddings, shared by the batch.
        speech: (batch, S, hidden) speech embeddings, valid up to ``speech_lengths``.
        speech_lengths: (batch,) long.
        suffix: (Q, hidden) prompt-suffix embeddings.
        target: (batch, T, hidden) target token embeddings, or None for generation.
        target_ids: (batch, T) long target ids (labels), valid up to ``target_lengths``.
        target_lengths: (batch,) long.
        padding_side: ``left`` puts padding before each sequence (every sequence ends at the last
            position, as generation needs), ``right`` after it.

    Returns:
        inputs_embeds: (batch, L, hidden), zeros at padding.
        attention_mask: (batch, L) long, 1 at real positions.
        position_ids: (batch, L) long, 0.. over the real positions of each sequence (1 at padding,
            as Hugging Face does), so left and right padding give the same result.
        labels: (batch, L) long, the target ids at target positions and ``-100`` at prompt,
            speech and padding positions (only when ``target`` is given).
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', got {padding_side!r}")
    if (target is None) != (target_ids is None) or (target is None) != (target_lengths is None):
        raise ValueError("target, target_ids and target_lengths go together")
    batch, _, hidden = speech.shape
    assert prefix.dim() == 2 and suffix.dim() == 2, (prefix.shape, suffix.shape)
    n_prompt = prefix.size(0) + suffix.size(0)
    zero = torch.zeros_like(speech_lengths)
    tgt_lengths = target_lengths if target is not None else zero
    lengths = n_prompt + speech_lengths + tgt_lengths
    max_len = int(lengths.max())
    embeds = speech.new_zeros(batch, max_len, hidden)
    mask = torch.zeros(batch, max_len, dtype=torch.long, device=speech.device)
    labels = torch.full_like(mask, IGNORE_ID) if target is not None else None
    for i in range(batch):
        s, t, n = int(speech_lengths[i]), int(tgt_lengths[i]), int(lengths[i])
        pieces = [prefix, speech[i, :s], suffix]
        if target is not None:
            pieces.append(target[i, :t])
        start = max_len - n if padding_side == "left" else 0
        embeds[i, start : start + n] = torch.cat(pieces, dim=0)
        mask[i, start : start + n] = 1
        if labels is not None:
            labels[i, start + n - t : start + n] = target_ids[i, :t]
    position_ids = (mask.cumsum(1) - 1).masked_fill(mask == 0, 1)
    out = {"inputs_embeds": embeds, "attention_mask": mask, "position_ids": position_ids}
    if labels is not None:
        out["labels"] = labels
    return out
