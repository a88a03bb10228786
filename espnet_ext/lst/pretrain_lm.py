"""Pretrain a tiny LLaMA-architecture LM (+ SentencePiece tokenizer) from plain text files.

Real LST runs load LLaMA-2; the mini corpus needs a frozen LM that already knows the target
language and the translation prompt, so that stage A (adapters only) has something to align to.
The LM trains on two kinds of sequences:

- target-language lines: ``<s> text </s>``;
- translation prompts from parallel text, laid out exactly as LST lays out its input
  (:func:`espnet_ext.lst.prompt.encode_text_example`): the prompt template with the *source text*
  in place of the speech placeholder, then the target and ``</s>``.

Output: a directory that ``AutoModelForCausalLM.from_pretrained`` and
``AutoTokenizer.from_pretrained`` load (``config.json``, weights, ``tokenizer.json``), plus
``spm.model`` and ``pretrain_info.json`` (written last; its presence with the same settings makes
a re-run skip the work). An interrupted run resumes from ``checkpoint.pt`` (saved after every
epoch).
"""

from __future__ import annotations

import json
import logging
import math
import random
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from espnet_ext.fileio import atomic_open, write_text_atomic
from espnet_ext.lst.prompt import PromptTemplate, encode_target, encode_text_example


@dataclass
class PretrainConfig:
    """Settings of :func:`pretrain_lm` (the CLI flags of ``espnet_ext.bin.lst_pretrain_lm``)."""

    text: list[str] = field(default_factory=list)
    src_text: list[str] = field(default_factory=list)
    tgt_text: list[str] = field(default_factory=list)
    prompt_template: str = "Translate the English speech into German: <speech>\nTranslation:"
    placeholder: str = "<speech>"
    vocab_size: int = 1000
    spm_model_type: str = "bpe"
    hidden_size: int = 128
    intermediate_size: int = 384
    num_layers: int = 4
    num_heads: int = 4
    max_position_embeddings: int = 1024
    max_length: int = 256
    epochs: int = 5
    batch_size: int = 32
    lr: float = 1e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    n_valid: int = 100
    seed: int = 0
    # 0: every batch; else at most this many steps an epoch (ESPnet's --num_iters_per_epoch)
    max_steps_per_epoch: int = 0
    # export the epoch with the best validation token accuracy instead of the last one
    select_best: bool = False


def read_lines(path: str | Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f]


def train_tokenizer(texts: list[str], out_dir: Path, vocab_size: int, model_type: str, seed: int):
    """Train a SentencePiece model on ``texts`` and turn it into a Hugging Face LLaMA tokenizer.

    Byte fallback and identity normalisation keep every character (``\\n`` in prompts included)
    representable, as in LLaMA's own tokenizer. Returns the tokenizer (``<unk>``=0, ``<s>``=1,
    ``</s>``=2, no pad token).
    """
    import sentencepiece as spm
    from transformers import LlamaTokenizer

    spm_path = out_dir / "spm.model"
    if not spm_path.exists():
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus.txt"
            corpus.write_text("\n".join(t for t in texts if t.strip()) + "\n", encoding="utf-8")
            spm.SentencePieceTrainer.train(
                input=str(corpus),
                model_prefix=str(Path(tmp) / "spm"),
                vocab_size=vocab_size,
                model_type=model_type,
                unk_id=0,
                bos_id=1,
                eos_id=2,
                pad_id=-1,
                byte_fallback=True,
                character_coverage=1.0,
                normalization_rule_name="identity",
                remove_extra_whitespaces=False,
                split_digits=True,
                hard_vocab_limit=False,  # a small corpus gets a smaller vocabulary, not an error
                input_sentence_size=2_000_000,
                shuffle_input_sentence=True,
                seed_sentencepiece_size=1_000_000,
                minloglevel=2,
            )
            with atomic_open(spm_path, "wb") as f:
                f.write((Path(tmp) / "spm.model").read_bytes())
    with tempfile.TemporaryDirectory() as tmp:
        # LlamaTokenizer converts a SentencePiece model found as tokenizer.model.
        shutil.copy(spm_path, Path(tmp) / "tokenizer.model")
        tokenizer = LlamaTokenizer.from_pretrained(tmp)
    if len(tokenizer) < vocab_size:
        logging.warning(
            f"the text supports only {len(tokenizer)} of {vocab_size} vocabulary entries"
        )
    return tokenizer


def build_examples(tokenizer, config: PretrainConfig) -> tuple[list[list[int]], int]:
    """Token id sequences for every text line and parallel pair; returns them and how many
    were cut to ``max_length``."""
    prompt = PromptTemplate(config.prompt_template, config.placeholder)
    examples = []
    for path in config.text:
        for line in read_lines(path):
            if line.strip():
                bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
                examples.append(bos + encode_target(tokenizer, line.strip()))
    for src_path, tgt_path in zip(config.src_text, config.tgt_text):
        src_lines, tgt_lines = read_lines(src_path), read_lines(tgt_path)
        if len(src_lines) != len(tgt_lines):
            raise ValueError(
                f"{src_path} has {len(src_lines)} lines but {tgt_path} has {len(tgt_lines)}; "
                "parallel files must be line aligned"
            )
        for src, tgt in zip(src_lines, tgt_lines):
            if src.strip() and tgt.strip():
                ids, _ = encode_text_example(tokenizer, prompt, src.strip(), tgt.strip())
                examples.append(ids)
    n_cut = sum(len(ids) > config.max_length for ids in examples)
    return [ids[: config.max_length] for ids in examples], n_cut


def _batches(examples: list[list[int]], batch_size: int, rng: random.Random | None):
    order = list(range(len(examples)))
    if rng is not None:
        rng.shuffle(order)
    for start in range(0, len(order), batch_size):
        chunk = [examples[i] for i in order[start : start + batch_size]]
        longest = max(len(ids) for ids in chunk)
        input_ids = torch.zeros(len(chunk), longest, dtype=torch.long)
        mask = torch.zeros(len(chunk), longest, dtype=torch.long)
        for i, ids in enumerate(chunk):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            mask[i, : len(ids)] = 1
        yield input_ids, mask, input_ids.masked_fill(mask == 0, -100)


@torch.no_grad()
def evaluate(
    model, examples: list[list[int]], batch_size: int, device: str, with_accuracy: bool = False
):
    """Token-averaged cross-entropy of ``model`` on ``examples``; with ``with_accuracy`` also
    the next-token accuracy, as ``(loss, accuracy)``."""
    model.eval()
    total, count, correct = 0.0, 0, 0
    for input_ids, mask, labels in _batches(examples, batch_size, None):
        logits = model(input_ids=input_ids.to(device), attention_mask=mask.to(device)).logits
        shift = labels[:, 1:].to(device)
        total += torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.size(-1)).float(),
            shift.reshape(-1),
            ignore_index=-100,
            reduction="sum",
        ).item()
        count += int((shift != -100).sum())
        correct += int(((logits[:, :-1].argmax(-1) == shift) & (shift != -100)).sum())
    model.train()
    loss = total / max(count, 1)
    return (loss, correct / max(count, 1)) if with_accuracy else loss


def pretrain_lm(out_dir: str | Path, config: PretrainConfig, device: str = "cpu") -> dict:
    """Train tokenizer + tiny LlamaForCausalLM into ``out_dir``; returns ``pretrain_info.json``."""
    from transformers import LlamaConfig, LlamaForCausalLM

    out_dir = Path(out_dir)
    info_path = out_dir / "pretrain_info.json"
    settings = asdict(config)
    if info_path.exists():
        info = json.loads(info_path.read_text(encoding="utf-8"))
        if info.get("config") == settings:
            logging.info(f"{out_dir} already holds an LM trained with these settings; skipping")
            return info
        raise ValueError(
            f"{out_dir} holds an LM trained with other settings ({info_path}); "
            "remove it or choose another --out_dir"
        )
    if not config.text and not config.src_text:
        raise ValueError("give target-language --text files and/or --src_text/--tgt_text pairs")
    if len(config.src_text) != len(config.tgt_text):
        raise ValueError(
            f"--src_text ({len(config.src_text)} files) and --tgt_text "
            f"({len(config.tgt_text)} files) must pair up"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    random.seed(config.seed)
    torch.manual_seed(config.seed)

    texts = [
        line
        for path in config.text + config.src_text + config.tgt_text
        for line in read_lines(path)
    ]
    texts.append(config.prompt_template)
    tokenizer = train_tokenizer(
        texts, out_dir, config.vocab_size, config.spm_model_type, config.seed
    )
    examples, n_cut = build_examples(tokenizer, config)
    if n_cut:
        logging.warning(f"{n_cut} of {len(examples)} sequences cut to {config.max_length} tokens")
    rng = random.Random(config.seed)
    rng.shuffle(examples)
    n_valid = min(config.n_valid, len(examples) // 10)
    valid, train = examples[:n_valid], examples[n_valid:]
    logging.info(f"{len(train)} training and {len(valid)} validation sequences")

    model_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_heads,
        max_position_embeddings=config.max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(model_config).to(device)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay
    )
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    if config.max_steps_per_epoch > 0:
        steps_per_epoch = min(steps_per_epoch, config.max_steps_per_epoch)
    total_steps = steps_per_epoch * config.epochs
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / max(config.warmup_steps, 1), 1.0)
        * max(0.0, 1.0 - step / max(total_steps, 1)) ** 0.5,
    )
    history: list[dict] = []
    best_path = out_dir / "best_model.pt"
    ckpt_path = out_dir / "checkpoint.pt"
    if ckpt_path.exists():
        # weights-only: the checkpoint holds state dicts, the settings and the loss history
        # (plain values only), so a crafted file cannot run code when it is resumed from
        ckpt = torch.load(ckpt_path, map_location=device, weights_only=True)
        if ckpt["config"] == settings:
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            scheduler.load_state_dict(ckpt["scheduler"])
            history = ckpt["history"]
            logging.info(f"resuming after epoch {len(history)} from {ckpt_path}")
        else:
            logging.warning(f"{ckpt_path} is from other settings; starting over")

    model.train()
    for epoch in range(len(history) + 1, config.epochs + 1):
        epoch_rng = random.Random(config.seed * 1000 + epoch)
        total, count = 0.0, 0
        for step, (input_ids, mask, labels) in enumerate(
            _batches(train, config.batch_size, epoch_rng), 1
        ):
            if step > steps_per_epoch:
                break
            out = model(
                input_ids=input_ids.to(device),
                attention_mask=mask.to(device),
                labels=labels.to(device),
            )
            optimizer.zero_grad()
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            total += out.loss.item()
            count += 1
            if step % 50 == 0 or step == steps_per_epoch:
                logging.info(
                    f"epoch {epoch}/{config.epochs} step {step}/{steps_per_epoch} "
                    f"loss {total / count:.3f}"
                )
        record = {"epoch": epoch, "train_loss": total / max(count, 1)}
        if valid and config.select_best:
            record["valid_loss"], record["valid_acc"] = evaluate(
                model, valid, config.batch_size, device, with_accuracy=True
            )
        elif valid:
            record["valid_loss"] = evaluate(model, valid, config.batch_size, device)
        if config.select_best and record.get("valid_acc", 0.0) >= max(
            (h.get("valid_acc", 0.0) for h in history), default=0.0
        ):
            record["best"] = True
            with atomic_open(best_path, "wb") as f:
                torch.save(model.state_dict(), f)
        history.append(record)
        logging.info(f"epoch {epoch}: {record}")
        with atomic_open(ckpt_path, "wb") as f:
            torch.save(
                {
                    "config": settings,
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "history": history,
                },
                f,
            )

    best_epoch = len(history)
    if config.select_best and best_path.exists():
        best_epoch = max(h["epoch"] for h in history if h.get("best"))
        model.load_state_dict(torch.load(best_path, map_location=device, weights_only=True))
        logging.info(f"exporting epoch {best_epoch}, the best by validation accuracy")
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    info = {
        "config": settings,
        "n_train_sequences": len(train),
        "n_valid_sequences": len(valid),
        "n_cut_sequences": n_cut,
        "vocab_size": len(tokenizer),
        "parameters": sum(p.numel() for p in model.parameters()),
        "history": history,
        "exported_epoch": best_epoch,
    }
    write_text_atomic(info_path, json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    ckpt_path.unlink(missing_ok=True)
    best_path.unlink(missing_ok=True)
    return info
