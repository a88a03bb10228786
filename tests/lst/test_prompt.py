import pytest
import torch

from espnet_ext.lst.prompt import IGNORE_ID, PromptTemplate, assemble_inputs, encode_text_example
from tests.fixtures.lst import PROMPT


def test_template_needs_exactly_one_placeholder():
    with pytest.raises(ValueError, match="exactly once, found 0"):
        PromptTemplate("Translate:")
    with pytest.raises(ValueError, match="exactly once, found 2"):
        PromptTemplate("<speech> and <speech>")
    prompt = PromptTemplate("A [S] B", placeholder="[S]")
    assert (prompt.prefix, prompt.suffix) == ("A ", " B")


def _pieces():
    gen = torch.Generator().manual_seed(0)
    prefix, suffix = torch.randn(3, 4, generator=gen), torch.randn(2, 4, generator=gen)
    speech, speech_lengths = torch.randn(3, 5, 4, generator=gen), torch.tensor([5, 2, 4])
    target_ids = torch.tensor([[7, 8, 9, 2], [5, 2, 0, 0], [2, 0, 0, 0]])
    target_lengths = torch.tensor([4, 2, 1])
    target = torch.randn(3, 4, 4, generator=gen)
    return prefix, speech, speech_lengths, suffix, target, target_ids, target_lengths


@pytest.mark.parametrize("side", ["left", "right"])
def test_assemble_places_prompt_speech_target_and_labels(side):
    prefix, speech, speech_lengths, suffix, target, target_ids, target_lengths = _pieces()
    out = assemble_inputs(
        prefix, speech, speech_lengths, suffix, target, target_ids, target_lengths, side
    )
    lengths = 3 + 2 + speech_lengths + target_lengths
    assert out["inputs_embeds"].shape == (3, int(lengths.max()), 4)
    for i in range(3):
        n, s, t = int(lengths[i]), int(speech_lengths[i]), int(target_lengths[i])
        start = out["attention_mask"].size(1) - n if side == "left" else 0
        real = slice(start, start + n)
        expected = torch.cat([prefix, speech[i, :s], suffix, target[i, :t]])
        torch.testing.assert_close(out["inputs_embeds"][i, real], expected)
        assert out["attention_mask"][i].sum() == n and out["attention_mask"][i, real].all()
        assert out["position_ids"][i, real].tolist() == list(range(n))
        labels = out["labels"][i]
        assert labels[start + n - t : start + n].tolist() == target_ids[i, :t].tolist()
        assert (labels != IGNORE_ID).sum() == t
        padding = out["attention_mask"][i] == 0
        assert torch.all(out["inputs_embeds"][i, padding] == 0)


def test_assemble_without_target_for_generation_is_left_aligned_right():
    prefix, speech, speech_lengths, suffix, *_ = _pieces()
    out = assemble_inputs(prefix, speech, speech_lengths, suffix, padding_side="left")
    assert "labels" not in out
    assert out["attention_mask"][:, -1].tolist() == [1, 1, 1]  # every prompt ends last
    with pytest.raises(ValueError, match="padding_side must be 'left' or 'right', got 'up'"):
        assemble_inputs(prefix, speech, speech_lengths, suffix, padding_side="up")


def test_prompt_token_ids_and_text_example_layout(tiny_lst_models):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_lst_models.llm_dir)
    prompt = PromptTemplate(PROMPT)
    prefix, suffix = prompt.token_ids(tokenizer)
    assert prefix[0] == tokenizer.bos_token_id
    assert tokenizer.decode(prefix[1:]) == "Translate the English speech into German: "
    assert tokenizer.decode(suffix).strip() == "Translation:"
    ids, n_context = encode_text_example(tokenizer, prompt, "the cat", "der hund")
    src = tokenizer.encode("the cat", add_special_tokens=False)
    tgt = tokenizer.encode("der hund", add_special_tokens=False)
    assert ids == prefix + src + suffix + tgt + [tokenizer.eos_token_id]
    assert n_context == len(prefix + src + suffix)
    assert PromptTemplate(PROMPT, add_bos=False).token_ids(tokenizer)[0] == prefix[1:]
