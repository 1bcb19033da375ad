"""Peak memory of one ORPO step (forward + backward + optimizer) on a 1.3B-shaped Llama, on CPU.

    .venv/bin/python -m benchmarks.bench_orpo_memory --lengths 256 512          # 1.3B shape
    .venv/bin/python -m benchmarks.bench_orpo_memory --layers 4 --lengths 512   # scaled down

The original project's ORPO run died of CUDA OOM on a 12 GB card (deepseek-coder-1.3b, batch 1,
length 1536). This builds the same shape (hidden 2048, 24 layers, 16 heads, MLP 5504, vocab
32256) with random bf16 weights, adds a LoRA r=16 adapter on q/k/v/o as `diagramlab orpo` does,
and runs one real ORPO step through trainer.training.orpo's ORPOTrainer (batch 1 pair = 2 sequences of
`length` tokens) with the GPU settings: bf16 weights, gradient checkpointing, no reference model.

Compute dtype: bf16 matmuls are ~200x slower than fp32 on CPUs without AVX512-BF16 (measured on
this project's AMD EPYC: a 256x2048x32256 matmul takes 170 s in bf16, 0.9 s in fp32), so the
default `--dtype float32` measures fp32 and then *estimates* bf16: weights at 2 bytes/parameter
plus the measured step overhead (an upper bound: bf16 activations are about half, while TRL's
log-softmax over the vocab runs in fp32 either way). Use `--dtype bfloat16` on a CPU with bf16.

Each measurement runs in a fresh process: peak RSS (ru_maxrss) and the RSS after building the
model are reported; "step overhead" = peak - weights is the part that scales with length. CPU
RSS over-counts a GPU's allocator a little (Python, tokenizer, glibc arenas), so the numbers are
an upper bound for the GPU. With --extrapolate L the two longest lengths are fitted linearly
(activations under checkpointing and the fp32 log-softmax over the vocab grow linearly in length
with SDPA attention) to predict the peak at L.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from typing import Any

SHAPE_1P3B = {"hidden": 2048, "layers": 24, "heads": 16, "intermediate": 5504, "vocab": 32256}


def _pair_texts(tokenizer: Any, length: int) -> dict[str, str]:
    """A prompt + two answers whose longer side makes `length` tokens in total (EOS included)."""
    from diagram import build_prompt
    from trainer.core.template import model_input

    prompt = model_input(build_prompt("DL model with 4 input nodes, 6 and 10 hidden nodes, 1 output"))
    line = "[{n}, 62, 300, 'round rectangle', 40, 40, 'solid arrow', (224, 224, 240), (64, 64, 128), [{t}]]\n"
    budget = length - len(tokenizer(prompt)["input_ids"]) - 1
    answer, n = "", 0
    while len(tokenizer(answer + line.format(n=n, t=n + 1), add_special_tokens=False)["input_ids"]) <= budget:
        answer += line.format(n=n, t=n + 1)
        n += 1
    return {"prompt": prompt, "chosen": answer, "rejected": answer.replace("'round rectangle'", "'circle'")}


def _measure(shape: dict[str, int], length: int, lora_r: int, checkpointing: bool, dtype: str, out: Any) -> None:
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import LlamaConfig, LlamaForCausalLM
    from trl.experimental.orpo import ORPOConfig

    from trainer.training.orpo import DiagramORPOTrainer
    from trainer.core.sft_config import LORA_TARGETS
    from trainer.generation.tokenizer import train_tokenizer

    tokenizer = train_tokenizer(["[0, 62, 300, 'circle', 40, 40, 'solid arrow', (1, 2, 3), (4, 5, 6), [1]]"] * 50,
                                vocab_size=300)
    config = LlamaConfig(hidden_size=shape["hidden"], num_hidden_layers=shape["layers"],
                         num_attention_heads=shape["heads"], num_key_value_heads=shape["heads"],
                         intermediate_size=shape["intermediate"], vocab_size=shape["vocab"],
                         max_position_embeddings=max(4096, 2 * length), tie_word_embeddings=False,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         pad_token_id=tokenizer.pad_token_id)
    torch.set_default_dtype(getattr(torch, dtype))  # build the weights in that dtype directly
    model = LlamaForCausalLM(config)
    torch.set_default_dtype(torch.float32)
    weights_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args = ORPOConfig(output_dir="/tmp/bench-orpo-memory", max_steps=1, per_device_train_batch_size=1,
                      max_length=length, beta=0.1, learning_rate=1e-4, report_to="none", save_strategy="no",
                      bf16=False, gradient_checkpointing=checkpointing, activation_checkpointing=checkpointing,
                      use_cpu=True, logging_steps=1, disable_tqdm=True, remove_unused_columns=False)
    lora = LoraConfig(r=lora_r, lora_alpha=lora_r, target_modules=list(LORA_TARGETS), task_type="CAUSAL_LM")
    trainer = DiagramORPOTrainer(model=model, args=args, train_dataset=Dataset.from_list([_pair_texts(tokenizer, length)]),
                               processing_class=tokenizer, peft_config=lora)
    tokens = len(trainer.train_dataset[0]["chosen_input_ids"])
    started = time.perf_counter()
    trainer.train()
    out.put({"length": tokens, "weights_mb": weights_rss, "seconds": time.perf_counter() - started,
             "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
             "params": sum(p.numel() for p in model.parameters())})


def measure(shape: dict[str, int], length: int, lora_r: int = 16, checkpointing: bool = True,
            dtype: str = "float32") -> dict[str, float]:
    """One measurement in a fresh process (ru_maxrss is a per-process peak)."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(shape, length, lora_r, checkpointing, dtype, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in SHAPE_1P3B.items():
        parser.add_argument(f"--{name}", type=int, default=value, help=f"model {name} (default {value}, 1.3B)")
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512], help="tokens per sequence")
    parser.add_argument("--lora-r", type=int, default=16, help="LoRA rank (default 16)")
    parser.add_argument("--no-checkpointing", action="store_true", help="measure without gradient checkpointing")
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                        help="weights/compute dtype (bf16 is very slow on CPUs without AVX512-BF16)")
    parser.add_argument("--extrapolate", type=int, default=1536, help="predict the peak at this length")
    args = parser.parse_args(argv)
    shape = {name: getattr(args, name) for name in SHAPE_1P3B}
    rows = [measure(shape, length, args.lora_r, not args.no_checkpointing, args.dtype) for length in args.lengths]
    print(f"shape {json.dumps(shape)}, {rows[0]['params'] / 1e9:.2f}B params, {args.dtype}, LoRA r={args.lora_r}, "
          f"gradient checkpointing {'off' if args.no_checkpointing else 'on'}, batch 1 pair (2 sequences)")
    bf16_weights = rows[0]["params"] * 2 / 2**20
    print("| tokens/sequence | weights RSS MB | peak RSS MB | step overhead MB | bf16 estimate MB | step s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        overhead = r["peak_mb"] - r["weights_mb"]
        print(f"| {r['length']} | {r['weights_mb']:.0f} | {r['peak_mb']:.0f} | {overhead:.0f} | "
              f"{bf16_weights + overhead:.0f} | {r['seconds']:.1f} |")
    if len(rows) >= 2:
        (l1, o1), (l2, o2) = [(r["length"], r["peak_mb"] - r["weights_mb"]) for r in rows[-2:]]
        slope = (o2 - o1) / (l2 - l1)
        overhead = o2 + slope * (args.extrapolate - l2)
        print(f"linear extrapolation to {args.extrapolate} tokens: step overhead {overhead:.0f} MB "
              f"({slope:.2f} MB per token); bf16 estimate {bf16_weights + overhead:.0f} MB "
              f"= {bf16_weights:.0f} MB weights + overhead (upper bound); with bf16 activations at half "
              f"the fp32 size: {bf16_weights + overhead / 2:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
