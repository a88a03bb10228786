"""Batched greedy and beam search for a causal LM that starts from prompt *embeddings*.

Why not only ``generate``: transformers 5 switches ``use_cache`` on whenever a decoder-only model
gets ``inputs_embeds`` (``GenerationMixin.generate``: "decoder-only models with inputs_embeds
forwarding must use caching"), so ``generate(inputs_embeds=..., use_cache=False)`` silently
decodes with the cache. Here ``use_cache`` really switches between a KV cache and re-running the
whole prefix every step, while every search decision stays the same. The beam search follows the
rules of Hugging Face's v5 beam search (2 x beams candidates per step, eos accepted only from the
top ``num_beams`` ranks, length-normalised finished scores, the ``early_stopping=False``
heuristic), so both give the same hypotheses (tested).

Prompts are left-padded: every row's last position is real, so new tokens go to the end of every
row and position ids continue from each row's own last position.
"""

from __future__ import annotations

import torch

NEG_INF = -1.0e9


class _Stepper:
    """Next-token logits for a batch of running sequences, with or without a KV cache.

    Args:
        llm: Hugging Face causal LM (or a peft model around one).
        inputs_embeds: (N, L, hidden) left-padded prompt embeddings.
        attention_mask: (N, L) long.
        use_cache: keep a KV cache (one new position per step) or re-run the full prefix.
    """

    def __init__(self, llm, inputs_embeds, attention_mask, use_cache: bool):
        if not bool(attention_mask[:, -1].all()):
            raise ValueError("prompts must be left-padded (the last position of every row real)")
        self.llm = llm
        self.use_cache = use_cache
        self.embed = llm.get_input_embeddings()
        self.embeds = inputs_embeds
        self.mask = attention_mask
        self.pos = (attention_mask.cumsum(1) - 1).masked_fill(attention_mask == 0, 1)
        self.past = None

    def first(self) -> torch.Tensor:
        """(N, vocab) float logits after the prompt."""
        out = self.llm(
            inputs_embeds=self.embeds,
            attention_mask=self.mask,
            position_ids=self.pos,
            use_cache=self.use_cache,
            logits_to_keep=1,
        )
        self.past = out.past_key_values if self.use_cache else None
        return out.logits[:, -1].float()

    def next(self, tokens: torch.Tensor, order: torch.Tensor | None = None) -> torch.Tensor:
        """Append ``tokens`` (N,) to the rows ``order`` (N,) picks; return the next logits."""
        if order is not None:
            self.mask, self.pos = self.mask[order], self.pos[order]
            if self.use_cache:
                self.past.reorder_cache(order)
            else:
                self.embeds = self.embeds[order]
        new = self.embed(tokens)[:, None]  # (N, 1, hidden)
        new_pos = self.pos[:, -1:] + 1
        self.mask = torch.cat([self.mask, torch.ones_like(self.mask[:, :1])], dim=1)
        self.pos = torch.cat([self.pos, new_pos], dim=1)
        if self.use_cache:
            out = self.llm(
                inputs_embeds=new,
                attention_mask=self.mask,
                position_ids=new_pos,
                past_key_values=self.past,
                use_cache=True,
            )
            self.past = out.past_key_values
        else:
            self.embeds = torch.cat([self.embeds, new], dim=1)
            out = self.llm(
                inputs_embeds=self.embeds,
                attention_mask=self.mask,
                position_ids=self.pos,
                use_cache=False,
                logits_to_keep=1,
            )
        return out.logits[:, -1].float()


def _until_eos(rows: list[list[int]], eos_id: int) -> list[list[int]]:
    return [row[: row.index(eos_id)] if eos_id in row else row for row in rows]


@torch.no_grad()
def greedy_search(
    llm,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    use_cache: bool = True,
    logits_processor=None,
) -> list[list[int]]:
    """Greedy decoding of every row; returns token ids up to (without) eos.

    ``logits_processor``: a Hugging Face ``LogitsProcessorList`` (called with the generated ids
    so far and the (N, vocab) logits)."""
    stepper = _Stepper(llm, inputs_embeds, attention_mask, use_cache)
    logits = stepper.first()
    n = logits.size(0)
    seq = torch.empty(n, 0, dtype=torch.long, device=logits.device)
    finished = torch.zeros(n, dtype=torch.bool, device=logits.device)
    for step in range(max_new_tokens):
        if logits_processor is not None:
            logits = logits_processor(seq, logits)
        tokens = logits.argmax(-1).masked_fill(finished, pad_id)
        seq = torch.cat([seq, tokens[:, None]], dim=1)
        finished |= tokens == eos_id
        if bool(finished.all()) or step + 1 == max_new_tokens:
            break
        logits = stepper.next(tokens)
    return _until_eos(seq.tolist(), eos_id)


def _gather(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x: (B, M, ...) , index: (B, k) -> (B, k, ...)."""
    shape = index.shape + x.shape[2:]
    index = index.view(index.shape + (1,) * (x.dim() - 2)).expand(shape)
    return x.gather(1, index)


@torch.no_grad()
def beam_search(
    llm,
    inputs_embeds: torch.Tensor,
    attention_mask: torch.Tensor,
    num_beams: int,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    length_penalty: float = 1.0,
    use_cache: bool = True,
    logits_processor=None,
) -> list[list[int]]:
    """Batched beam search; returns each row's best hypothesis up to (without) eos.

    A finished hypothesis scores ``sum log p / n ** length_penalty`` with ``n`` its generated
    tokens (eos included). A row stops growing once it has ``num_beams`` finished hypotheses and
    its best running beam, scored at the current length, cannot beat the worst of them.
    """
    batch, k = inputs_embeds.size(0), num_beams
    stepper = _Stepper(
        llm,
        inputs_embeds.repeat_interleave(k, dim=0),
        attention_mask.repeat_interleave(k, dim=0),
        use_cache,
    )
    logits = stepper.first()  # (B*K, V)
    device, vocab = logits.device, logits.size(-1)
    running = torch.full((batch, k, max_new_tokens), pad_id, dtype=torch.long, device=device)
    running_scores = torch.zeros(batch, k, device=device)
    running_scores[:, 1:] = NEG_INF  # the first step expands beam 0 only (all beams are equal)
    finished = running.clone()
    finished_scores = torch.full((batch, k), NEG_INF, device=device)
    finished_set = torch.zeros(batch, k, dtype=torch.bool, device=device)
    improvable = torch.ones(batch, dtype=torch.bool, device=device)
    top_ranks = torch.arange(2 * k, device=device)[None, :] < k
    offsets = torch.arange(batch, device=device)[:, None] * k
    for t in range(max_new_tokens):
        logp = torch.log_softmax(logits, dim=-1)
        if logits_processor is not None:
            logp = logits_processor(running.view(batch * k, -1)[:, :t], logp)
        scores = (logp.view(batch, k, vocab) + running_scores[..., None]).view(batch, k * vocab)
        cand_scores, cand_index = scores.topk(2 * k, dim=1)  # (B, 2K), best first
        cand_beam, cand_token = cand_index // vocab, cand_index % vocab
        candidates = _gather(running, cand_beam)  # (B, 2K, max_new_tokens)
        candidates[:, :, t] = cand_token
        stops = (cand_token == eos_id) | (t + 1 == max_new_tokens)

        # Finished: stopping candidates ranked in the top K, while the row can still improve.
        accept = stops & top_ranks & improvable[:, None]
        normalised = torch.where(accept, cand_scores / (t + 1) ** length_penalty, NEG_INF)
        merged_scores = torch.cat([finished_scores, normalised], dim=1)
        keep = merged_scores.topk(k, dim=1).indices
        finished = _gather(torch.cat([finished, candidates], dim=1), keep)
        finished_set = _gather(torch.cat([finished_set, accept], dim=1), keep)
        finished_scores = _gather(merged_scores, keep)

        # Running: the best K candidates that did not stop.
        alive_scores = cand_scores + stops.float() * NEG_INF
        pick = alive_scores.topk(k, dim=1).indices
        running = _gather(candidates, pick)
        running_scores = _gather(alive_scores, pick)
        source = _gather(cand_beam, pick)

        worst = torch.where(finished_set.all(dim=1), finished_scores.min(dim=1).values, NEG_INF)
        improvable &= running_scores[:, 0] / (t + 1) ** length_penalty > worst
        if not bool(improvable.any()) or bool(stops.all()) or t + 1 == max_new_tokens:
            break
        logits = stepper.next(running[:, :, t].reshape(-1), (offsets + source).reshape(-1))
    return _until_eos(finished[:, 0].tolist(), eos_id)
