"""transformers-cfg on our tokenizers (it fails: it only knows tokenizers by model class).

    PYTHONPATH=/tmp/gl/t_tcfg:$PWD python benchmarks/grammar_libraries/try_transformers_cfg.py checkpoints/tiny-sft
"""
import time, sys
import pandas as pd, torch
from transformers import PreTrainedTokenizerFast
tok = PreTrainedTokenizerFast.from_pretrained(sys.argv[1])
t0 = time.perf_counter()
from transformers_cfg.grammar_utils import IncrementalGrammarConstraint
from transformers_cfg.generation.logits_process import GrammarConstrainedLogitsProcessor
g = IncrementalGrammarConstraint(open("benchmarks/grammar_libraries/answer.gbnf").read(), "root", tok)
t1 = time.perf_counter()
print("compile", round(t1 - t0, 3))
proc = GrammarConstrainedLogitsProcessor(g)
answers = list(pd.read_csv("data/sft_dataset_llm.csv").output_data)[:20]
steps = 0; s = time.perf_counter(); ok = 0
for a in answers:
    proc = GrammarConstrainedLogitsProcessor(g)
    ids = tok(a, add_special_tokens=False)["input_ids"]
    prefix = torch.tensor([[0]])
    good = True
    for t in ids:
        scores = torch.zeros(1, len(tok))
        out = proc(prefix, scores)
        steps += 1
        if out[0, t] == float("-inf"):
            good = False; break
        prefix = torch.cat([prefix, torch.tensor([[t]])], 1)
    ok += good
print("accepted", ok, "/", len(answers), "us/step", round(1e6 * (time.perf_counter() - s) / steps))
