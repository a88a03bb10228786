"""Text translation with LST's pretrained LM (pipeline task ``lst_lm``, stage 11).

The LM learnt translation prompts with the source *text* in place of the speech
(:func:`espnet_ext.lst.prompt.encode_text_example`), so it translates reference transcripts on its
own: the score is the text-MT ceiling of the frozen LLM that LST stage A aligns speech to. The
prompts are left-padded and decoded in batches with :mod:`espnet_ext.lst.search` (KV cache,
greedy or beam), exactly as LST decodes from speech.

Outputs in ``output_dir``: ``text`` (Kaldi text, sorted) and ``rtf.json``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch
import yaml

from espnet_ext.device import device_for
from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.lst.prompt import PromptTemplate, encode_text_example
from espnet_ext.lst.search import beam_search, greedy_search


def load_lm(train_config: str | Path, model_file: str | Path | None, device: str = "cpu"):
    """The LM of an ``lst_lm`` experiment (``EXP/hf_model`` + the weights of ``model_file``), its
    tokenizer and prompt template."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from espnet_ext.lst.lm_task import HF_DIR

    train_config = Path(train_config)
    with open(train_config, encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    lm_conf = config.get("lm_conf") or {}
    hf_dir = train_config.parent / HF_DIR
    model = AutoModelForCausalLM.from_pretrained(hf_dir)
    if model_file is not None:
        state = torch.load(model_file, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
    model.to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(hf_dir)
    prompt = PromptTemplate(
        lm_conf.get("prompt_template", PromptTemplate().template),
        lm_conf.get("placeholder", "<speech>"),
    )
    return model, tokenizer, prompt


def _read_kaldi(path: str | Path) -> dict[str, str]:
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, text = line.rstrip("\n").partition(" ")
            if key:
                out[key] = text
    return out


@torch.no_grad()
def translate(
    model,
    tokenizer,
    prompt: PromptTemplate,
    sources: list[str],
    beam_size: int = 1,
    max_new_tokens: int = 256,
    use_cache: bool = True,
    length_penalty: float = 1.0,
) -> list[str]:
    """Translate a batch of source sentences through the prompt."""
    device = next(model.parameters()).device
    contexts = [encode_text_example(tokenizer, prompt, s.strip(), None)[0] for s in sources]
    longest = max(len(c) for c in contexts)
    pad_id = (
        tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    )
    ids = torch.full((len(contexts), longest), pad_id, dtype=torch.long)
    mask = torch.zeros(len(contexts), longest, dtype=torch.long)
    for i, c in enumerate(contexts):
        ids[i, longest - len(c) :] = torch.tensor(c)
        mask[i, longest - len(c) :] = 1
    embeds = model.get_input_embeddings()(ids.to(device))
    embeds = embeds * mask.to(device)[..., None].to(embeds.dtype)
    common = dict(
        max_new_tokens=max_new_tokens,
        eos_id=tokenizer.eos_token_id,
        pad_id=pad_id,
        use_cache=use_cache,
    )
    if beam_size == 1:
        hyps = greedy_search(model, embeds, mask.to(device), **common)
    else:
        hyps = beam_search(
            model, embeds, mask.to(device), beam_size, length_penalty=length_penalty, **common
        )
    texts = tokenizer.batch_decode(hyps, skip_special_tokens=True)
    return [" ".join(t.split()) for t in texts]


def inference(
    output_dir: str | Path,
    data_path_and_name_and_type: list[tuple[str, str, str]],
    train_config: str | Path,
    model_file: str | Path | None,
    batch_size: int = 16,
    beam_size: int = 1,
    max_new_tokens: int = 256,
    use_cache: bool = True,
    length_penalty: float = 1.0,
    ngpu: int = 0,
    key_file: str | None = None,
) -> dict:
    """Translate the ``src_text`` entry of ``data_path_and_name_and_type``; returns rtf.json."""
    sources = {name: path for path, name, _ in data_path_and_name_and_type}
    if "src_text" not in sources:
        raise ValueError("give the source text as PATH,src_text,text")
    lines = _read_kaldi(sources["src_text"])
    keys = sorted(_read_kaldi(key_file)) if key_file else sorted(lines)
    missing = [k for k in keys if k not in lines]
    if missing:
        raise ValueError(f"{sources['src_text']}: no text for {missing[:5]}")
    device = device_for(ngpu)
    model, tokenizer, prompt = load_lm(train_config, model_file, device)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    # longest first: less padding within a batch
    order = sorted(keys, key=lambda k: -len(lines[k]))
    hyps: dict[str, str] = {}
    seconds = 0.0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        t0 = time.perf_counter()
        out = translate(
            model,
            tokenizer,
            prompt,
            [lines[k] for k in batch],
            beam_size=beam_size,
            max_new_tokens=max_new_tokens,
            use_cache=use_cache,
            length_penalty=length_penalty,
        )
        seconds += time.perf_counter() - t0
        hyps.update(zip(batch, out))
        logging.info(f"translated {len(hyps)}/{len(order)} sentences")
    with atomic_open(output_dir / "text") as f:
        for key in keys:
            f.write(f"{key} {hyps[key]}\n" if hyps[key] else f"{key}\n")
    rtf = {
        "decode_seconds": round(seconds, 3),
        "n_utts": len(keys),
        "batch_size": batch_size,
        "beam_size": beam_size,
    }
    write_text_atomic(output_dir / "rtf.json", json.dumps(rtf, indent=2) + "\n")
    return rtf
