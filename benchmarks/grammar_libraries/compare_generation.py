"""Per-token cost of grammar processors in real generation with the tiny checkpoint: none vs llguidance vs xgrammar.

Run from the repo root (xgrammar in a scratch dir, see compare_masks.py):
    PYTHONPATH=$PWD:/tmp/gl/t_xgr python benchmarks/grammar_libraries/compare_generation.py tests/fixtures/freeform_requests.txt
"""
import sys, time
import torch
from transformers import LogitsProcessorList

import xgrammar as xgr
from diagram import build_prompt
from diagram.grammar import ANSWER_REGEX
from trainer.generation.generate import Generator
from trainer.core.template import encode_prompt
from trainer.core.datasets_io import load_prompt_pool

gen = Generator("checkpoints/tiny-sft", grammar=True)
V = gen.model.get_output_embeddings().weight.shape[0]
t = time.perf_counter()
info = xgr.TokenizerInfo.from_huggingface(gen.tokenizer, vocab_size=V)
compiled = xgr.GrammarCompiler(info, cache_enabled=False).compile_regex(ANSWER_REGEX)
print("xgrammar setup", round(time.perf_counter() - t, 3), "s")
reqs = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()] if len(sys.argv) > 1 else None
prompts = [build_prompt(r) for r in reqs] if reqs else list(load_prompt_pool("data/orpo_prompts.csv", split="heldout")["prompt"])[:12]
stats = {k: [0.0, 0, 0, 0] for k in ("off", "llguidance", "xgrammar")}
torch.set_num_threads(1)
for i, p in enumerate(prompts):
    ids = torch.tensor([encode_prompt(gen.tokenizer, p)])
    order = ["off", "llguidance", "xgrammar"]
    if i % 2: order = order[::-1]
    for name in order:
        procs = LogitsProcessorList()
        if name == "llguidance": procs.append(gen.answer_grammar().processor())
        if name == "xgrammar": procs.append(xgr.contrib.hf.LogitsProcessor(compiled))
        torch.manual_seed(i)
        s = time.perf_counter()
        with torch.inference_mode():
            out = gen.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=gen.default_cap,
                                     num_return_sequences=4, do_sample=True, temperature=0.8, top_p=0.95, top_k=0,
                                     eos_token_id=gen.eos_id, pad_token_id=gen.pad_id, logits_processor=procs)
        sec = time.perf_counter() - s
        rows = out[:, ids.shape[1]:].tolist()
        st = stats[name]
        st[0] += sec
        for r in rows:
            c = gen._candidate(0, r, sec)
            st[1] += c.n_tokens; st[2] += c.parse.ok; st[3] += 1
for name, (sec, tok, ok, n) in stats.items():
    print(f"{name:11s} {1000 * sec / tok:.2f} ms/token, {sec / len(prompts):.2f} s/prompt (k=4), {tok / n:.0f} tokens/cand, valid {ok}/{n}")
