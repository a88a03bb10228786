"""LST benchmarks.

    python bench/bench_lst.py memory      # -> bench/results/lst_params_memory.json
    python bench/bench_lst.py generation  # -> bench/results/lst_generation_cpu.json
    python bench/bench_lst.py recipe      # -> bench/results/lst_mustc_mini_de.json

``memory``: LLaMA-2 7B / 13B + wav2vec 2.0 large built on the meta device from
``conf/hf_configs/*.json`` (no weights): parameter counts and the memory of stage A, stage B
(full fine-tuning) and stage B (LoRA r=16) under the precision regimes of
``espnet_ext.lst.memory``.

``generation``: batched generation speed of a small random LST model (LLaMA-architecture LM,
4 x 256, ~3.7 M parameters; tiny wav2vec 2.0 frontend) on the CPU, with and without the KV cache,
at batch 1 and 16. The speech prompts are encoded once (timed separately); the timed part is the
LLM's ``generate`` on the assembled, left-padded prompt embeddings, the call that
``ESPnetLSTModel.generate`` makes. Every utterance generates exactly ``--new_tokens`` tokens (eos
suppressed), so tokens/s = batch * new_tokens / seconds. Settings: this toolkit's greedy search
(``espnet_ext.lst.search``) with and without the KV cache, and transformers' ``generate`` (which
always uses the cache with ``inputs_embeds``) for reference.

``recipe``: the LST recipe (``egs2/mustc_lst/st1``) on the ``mini`` mini corpus, En-De, CPU, stages
1-13 in a fresh copy of the recipe (``--work_dir``; the mini corpus is generated once under
``downloads/mini_corpus/`` and reused): the tiny LM (system ``llm``), stage A and stage B (full
fine-tuning; ``--systems`` adds ``lst_stage_b_lora``), with the ASR whose frozen encoder is the
speech encoder (system ``asr``), decoded greedily on tst-COMMON. Records BLEU
after stage A and after stage B (and the LM's text-MT BLEU on the reference transcripts), chrF,
parameters, training wall time and every stage's seconds. ``--train_args`` shortens training
(e.g. ``"--max_epoch 4"``); what was used is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from espnet_ext.bin import quiet_espnet_import  # noqa: E402
from espnet_ext.fileio import write_text_atomic  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PROMPT = "Translate the English speech into German: <speech>\nTranslation:"


def bench_memory() -> dict:
    from espnet_ext.lst.memory import lst_params_memory

    configs = ROOT / "conf" / "hf_configs"
    frontend = configs / "wav2vec2-large-960h-lv60-self.json"
    length_conf = {"channels": 1024, "num_layers": 2, "kernel_size": 3, "stride": 2}
    results = {
        "assumptions": {
            "frozen_params": "bf16, 2 bytes each (frontend and LLM with torch_dtype bfloat16)",
            "mixed_fp32_master": "trainable: bf16 weight 2 + bf16 grad 2 + fp32 master 4 + "
            "fp32 AdamW moments 8 = 16 bytes",
            "pure_bf16": "trainable: bf16 weight 2 + bf16 grad 2 + fp32 AdamW moments 8 "
            "= 12 bytes",
            "toolkit": "as this toolkit allocates: each trainable parameter in its own dtype with "
            "a gradient and torch AdamW moments of that dtype (adapters and LoRA fp32: 16 bytes; "
            "fully fine-tuned bf16 LLM: 8 bytes)",
            "excluded": "activations, KV cache, CUDA context, allocator fragmentation",
            "frontend": "frozen in every stage (frontend_conf.freeze: true)",
            "adapters": {"length_adapter_conf": length_conf, "modality_adapter_conf": "linear"},
        },
        "gib": 2**30,
    }
    for name in ("llama-2-7b", "llama-2-13b"):
        results[name] = lst_params_memory(
            str(configs / f"{name}.json"), str(frontend), length_conf=length_conf, lora_r=16
        )
    return results


def _build_small_lst(root: Path, vocab_size: int, hidden: int, layers: int):
    from transformers import LlamaConfig, LlamaForCausalLM, Wav2Vec2Config, Wav2Vec2ForCTC

    from espnet_ext.lst.pretrain_lm import train_tokenizer
    from espnet_ext.lst.task import LSTTask

    rng = random.Random(0)
    # Enough distinct pseudo-words for SentencePiece to fill a vocabulary of vocab_size.
    letters = "abcdefghijklmnopqrstuvwxyzäöüß"
    words = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    texts = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(500)] + [PROMPT]
    llm_dir, w2v_dir = root / "llm", root / "w2v"
    llm_dir.mkdir()
    tokenizer = train_tokenizer(texts, llm_dir, vocab_size, "bpe", 0)
    torch.manual_seed(0)
    LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=hidden,
            intermediate_size=3 * hidden,
            num_hidden_layers=layers,
            num_attention_heads=8,
            num_key_value_heads=8,
            max_position_embeddings=2048,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    ).save_pretrained(llm_dir)
    tokenizer.save_pretrained(llm_dir)
    Wav2Vec2ForCTC(
        Wav2Vec2Config(
            vocab_size=12,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=128,
            conv_dim=(64,) * 7,
            conv_kernel=(10, 3, 3, 3, 3, 2, 2),
            conv_stride=(5, 2, 2, 2, 2, 2, 2),
            num_conv_pos_embeddings=16,
            num_conv_pos_embedding_groups=2,
            feat_extract_norm="layer",
            do_stable_layer_norm=True,
        )
    ).save_pretrained(w2v_dir)
    args = argparse.Namespace(
        frontend="hf",
        frontend_conf={"name_or_path": str(w2v_dir)},
        length_adapter_conf={"channels": 64},
        modality_adapter_conf={},
        llm_conf={"name_or_path": str(llm_dir)},
        prompt_conf={"template": PROMPT},
        model_conf={},
    )
    return LSTTask.build_model(args).eval()


def bench_generation(
    new_tokens: int, repeats: int, seconds: float, hidden: int, layers: int
) -> dict:
    from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList

    from espnet_ext.lst.prompt import assemble_inputs
    from espnet_ext.lst.search import greedy_search

    class SuppressEos(LogitsProcessor):
        def __init__(self, eos_id: int):
            self.eos_id = eos_id

        def __call__(self, input_ids, scores):
            scores[:, self.eos_id] = -float("inf")
            return scores

    with tempfile.TemporaryDirectory() as tmp:
        model = _build_small_lst(Path(tmp), vocab_size=1000, hidden=hidden, layers=layers)
    n_params = sum(p.numel() for p in model.llm.parameters())
    no_eos = LogitsProcessorList([SuppressEos(model.eos_id)])
    gen = torch.Generator().manual_seed(0)
    runs = []
    for batch in (1, 16):
        if batch == 1:
            lengths = torch.tensor([int(seconds * 16000)])
        else:
            lengths = torch.linspace(seconds * 0.7, seconds * 1.3, batch).mul(16000).long()
        speech = torch.randn(batch, int(lengths.max()), generator=gen) * 0.1
        with torch.no_grad():
            start = time.perf_counter()
            embeds, embed_lengths = model.encode_speech(speech, lengths)
            encode_seconds = time.perf_counter() - start
            prefix, suffix = model.llm.embed(model.prefix_ids), model.llm.embed(model.suffix_ids)
            inputs = assemble_inputs(prefix, embeds, embed_lengths, suffix, padding_side="left")
        hf_config = GenerationConfig(
            max_new_tokens=new_tokens,
            do_sample=False,
            eos_token_id=model.eos_id,
            pad_token_id=model.pad_id,
        )

        def run(backend, use_cache, inputs=inputs, hf_config=hf_config):
            if backend == "hf":  # transformers' generate: always cached with inputs_embeds
                with torch.no_grad():
                    out = model.llm.generate(
                        **inputs, generation_config=hf_config, logits_processor=no_eos
                    )
                return out.tolist()
            return greedy_search(
                model.llm.model,
                inputs["inputs_embeds"],
                inputs["attention_mask"],
                max_new_tokens=new_tokens,
                eos_id=model.eos_id,
                pad_id=model.pad_id,
                use_cache=use_cache,
                logits_processor=no_eos,
            )

        settings = [("own", True), ("own", False), ("hf", True)]
        times = {setting: [] for setting in settings}
        for setting in settings:  # warm-up
            out = run(*setting)
            assert all(len(h) == new_tokens for h in out), [len(h) for h in out]
        # Settings take turns in every repeat, so that load changes on a shared machine hit all.
        for _ in range(repeats):
            for setting in settings:
                start = time.perf_counter()
                run(*setting)
                times[setting].append(time.perf_counter() - start)
        for (backend, use_cache), durations in times.items():
            median = statistics.median(durations)
            result = {
                "batch_size": batch,
                "backend": backend,
                "use_cache": use_cache,
                "new_tokens_per_utt": new_tokens,
                "context_positions_max": int(inputs["attention_mask"].size(1)),
                "generate_seconds_median": round(median, 4),
                "generate_seconds_all": [round(t, 4) for t in durations],
                "tokens_per_second": round(batch * new_tokens / median, 1),
                "speech_encode_seconds": round(encode_seconds, 4),
            }
            print(json.dumps(result), flush=True)
            runs.append(result)
    for batch in (1, 16):
        cached, uncached = (
            next(
                r
                for r in runs
                if r["batch_size"] == batch and r["backend"] == "own" and r["use_cache"] is c
            )
            for c in (True, False)
        )
        cached["speedup_vs_no_cache"] = round(
            cached["tokens_per_second"] / uncached["tokens_per_second"], 2
        )
    return {
        "device": "cpu",
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "load_average_at_start": os.getloadavg()[0],
        "torch": torch.__version__,
        "model": {
            "llm": f"LlamaForCausalLM {layers} layers x {hidden}, 8 heads, random weights",
            "llm_params": n_params,
            "frontend": "Wav2Vec2 2 layers x 64 (50 frames/s), random weights",
            "length_adapter": "2 conv layers, stride 2",
            "speech_seconds_per_utt": seconds,
            "prompt_text_positions": int(model.prefix_ids.numel() + model.suffix_ids.numel()),
        },
        "repeats": repeats,
        "runs": runs,
    }


def bench_recipe(
    work_dir: Path,
    systems: str,
    train_args: str,
    inference_args: str,
    nj: int,
    collect_only: bool = False,
    note: str = "",
) -> dict:
    """Run the recipe in ``work_dir`` (a copy of egs2/mustc_lst/st1; kept, so a re-run skips the
    finished stages and systems) and collect its figures; with ``collect_only``, only collect."""
    import subprocess

    sys.path.insert(0, str(ROOT / "tests" / "recipes"))
    from recipe_runner import copy_recipe

    from espnet_ext.scoring.results import load_results

    test_set = "tst-COMMON.en-de"
    cmd = ["./run.sh", "--mini_size", "mini", "--conf_dir", "conf/mini", "--tgt_lang", "de",
           "--nj", str(nj), "--inference_nj", str(nj), "--test_sets", test_set,
           "--systems", systems, "--pack_models", "false"]  # fmt: skip
    if train_args:
        cmd += ["--train_args", train_args]
    if inference_args:
        cmd += ["--inference_args", inference_args]
    wall = None
    if not collect_only:
        # a work dir from an earlier run is resumed as it is (its configs included)
        recipe = work_dir if (work_dir / "run.sh").exists() else copy_recipe("mustc_lst", work_dir)
        env = {**os.environ, "MUSTC": "", "CMD_BACKEND": "local", "OMP_NUM_THREADS": "1"}
        env.setdefault("MINI_CORPUS_ROOT", str(ROOT / "downloads" / "mini_corpus"))
        start = time.time()
        with open(recipe / "bench_run.log", "a") as log:
            proc = subprocess.run(cmd, cwd=recipe, env=env, stdout=log, stderr=subprocess.STDOUT)
        wall = round(time.time() - start, 1)
        if proc.returncode != 0:
            raise SystemExit(f"run.sh failed ({proc.returncode}); see {recipe}/bench_run.log")
    exp = work_dir / "exp"
    stage_seconds: dict[str, float] = {}
    for line in (exp / "stage_seconds.tsv").read_text().splitlines():
        stage, seconds, _ = line.split("\t")
        stage_seconds[stage] = stage_seconds.get(stage, 0) + float(seconds)
    rows = {}
    for row in load_results(exp):
        if row.get("test_set") != test_set:
            continue
        keep = ("bleu", "chrf", "ter", "bleu_lc_rm", "wer", "trainable_params", "total_params",
                "train_wall_s", "rtf")  # fmt: skip
        rows[row["system"]] = {k: row.get(k) for k in keep if k in row}
    lm_info = json.loads((exp / "llm" / "pretrain_info.json").read_text())
    epochs = {}
    for system in rows:
        config = exp / system / "config.yaml"
        if system != "llm" and config.exists():
            import yaml

            epochs[system] = yaml.safe_load(config.read_text()).get("max_epoch")
    return {
        "what": "LST recipe (egs2/mustc_lst/st1) on the mini corpus, En-De, CPU, greedy decoding",
        "command": " ".join(cmd),
        "test_set": test_set,
        "bleu_after_stage_a": rows.get("lst_stage_a", {}).get("bleu"),
        "bleu_after_stage_b": rows.get("lst_stage_b", {}).get("bleu"),
        "bleu_llm_text_mt_on_reference_transcripts": rows.get("llm", {}).get("bleu"),
        "wer_asr_speech_encoder": rows.get("asr", {}).get("wer"),
        "systems": rows,
        "lst_max_epoch": epochs,
        "llm": {
            "parameters": lm_info["parameters"],
            "vocab_size": lm_info["vocab_size"],
            "n_train_sequences": lm_info["n_train_sequences"],
            "exported_epoch": lm_info.get("exported_epoch"),
            "history": lm_info["history"],
        },
        "stage_seconds": stage_seconds,
        "wall_seconds_this_run": wall,
        "note": note,
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "platform": platform.platform(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "what", choices=["memory", "generation", "recipe", "all"], help="which benchmark"
    )
    parser.add_argument(
        "--new_tokens", type=int, default=32, help="generated tokens per utterance"
    )
    parser.add_argument("--hidden", type=int, default=256, help="hidden size of the small LLM")
    parser.add_argument("--layers", type=int, default=4, help="layers of the small LLM")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per setting")
    parser.add_argument("--seconds", type=float, default=4.0, help="audio seconds per utterance")
    parser.add_argument("--num_threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument(
        "--work_dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "bench_lst_recipe",
        help="recipe: the recipe copy to run in (kept: a re-run resumes)",
    )
    parser.add_argument(
        "--collect_only", action="store_true", help="recipe: only read a finished run"
    )
    parser.add_argument("--note", default="", help="recipe: how the run was made, for the JSON")
    parser.add_argument(
        "--systems", default="lst_stage_b", help="recipe: systems (+ what they depend on)"
    )
    parser.add_argument("--train_args", default="", help="recipe: extra training options")
    parser.add_argument("--inference_args", default="", help="recipe: extra decoding options")
    parser.add_argument("--nj", type=int, default=2, help="recipe: parallel jobs")
    args = parser.parse_args()
    quiet_espnet_import()
    torch.set_num_threads(args.num_threads)
    if args.what in ("memory", "all"):
        result = bench_memory()
        write_text_atomic(RESULTS / "lst_params_memory.json", json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS / 'lst_params_memory.json'}")
    if args.what in ("generation", "all"):
        result = bench_generation(
            args.new_tokens, args.repeats, args.seconds, args.hidden, args.layers
        )
        write_text_atomic(RESULTS / "lst_generation_cpu.json", json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS / 'lst_generation_cpu.json'}")
    if args.what == "recipe":
        result = bench_recipe(
            args.work_dir,
            args.systems,
            args.train_args,
            args.inference_args,
            args.nj,
            args.collect_only,
            args.note,
        )
        out = RESULTS / "lst_mustc_mini_de.json"
        write_text_atomic(out, json.dumps(result, indent=2) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
