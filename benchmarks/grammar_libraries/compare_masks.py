"""Compare grammar libraries on a tokenizer: compile time, acceptance of all SFT answers, mask time/step.

Run from the repo root, each library installed into a scratch dir (kept out of the project venv):
    pip install --no-deps --target /tmp/gl/t_llg llguidance
    pip install --no-deps --target /tmp/gl/t_xgr xgrammar apache-tvm-ffi
    pip install --no-deps --target /tmp/gl/t_oc outlines-core
    PYTHONPATH=/tmp/gl/t_llg:$PWD python benchmarks/grammar_libraries/compare_masks.py llguidance checkpoints/tiny-sft
    (LIB: llguidance | xgrammar | outlines_core; TOKENIZER_DIR: checkpoints/tiny-sft or runs/bpe32k;
    UNBOUNDED=1 replaces the label/plan length bounds by * / +)
"""
import random
import sys
import time

import pandas as pd
import torch
from transformers import PreTrainedTokenizerFast

from diagram.grammar import ANSWER_REGEX

lib, tokdir = sys.argv[1], sys.argv[2]
tok = PreTrainedTokenizerFast.from_pretrained(tokdir)
V = len(tok)
eos = tok.eos_token_id
answers = list(pd.read_csv("data/sft_dataset_llm.csv").output_data)
extra = ["# layers 3-5-2\n" + answers[0],
         "[0, 1, 2, 'circle', 3, 4, 'solid line', (1, 2, 3), (4, 5, 6), [], 'Vector DB (FAISS)']\n"
         "[1, 1000, 600, 'rectangle', 1000, 600, 'dashed line', (255, 255, 255), (0, 0, 0), [0], 'Ü LLM']"]
answers = answers + extra


def bytes_of(tid):
    return tok.convert_tokens_to_string([tok.convert_ids_to_tokens(tid)]).encode()


import os
if os.environ.get("UNBOUNDED"):
    ANSWER_REGEX = ANSWER_REGEX.replace("{1,40}", "+").replace("{0,198}", "*")
if lib == "xgrammar":
    import xgrammar as xgr
    t0 = time.perf_counter()
    info = xgr.TokenizerInfo.from_huggingface(tok, vocab_size=V)
    t1 = time.perf_counter()
    compiled = xgr.GrammarCompiler(info, cache_enabled=False).compile_regex(ANSWER_REGEX)
    t2 = time.perf_counter()

    def new():
        return xgr.GrammarMatcher(compiled)
    bitmask = xgr.allocate_token_bitmask(1, V)

    def mask(m):
        m.fill_next_token_bitmask(bitmask, 0)
        return bitmask

    def accept(m, t):
        return m.accept_token(t)

    def apply(logits, bm):
        xgr.apply_token_bitmask_inplace(logits, bm)
elif lib == "llguidance":
    import llguidance as llg
    import llguidance.hf
    import llguidance.torch as lt
    t0 = time.perf_counter()
    import os; lltok = llguidance.hf.from_tokenizer(tok, n_vocab=V, slices=None if os.environ.get("SLICES") else [])
    t1 = time.perf_counter()
    grammar = llg.LLMatcher.grammar_from_regex(ANSWER_REGEX)
    m0 = llg.LLMatcher(lltok, grammar)
    assert not m0.is_error(), m0.get_error()
    t2 = time.perf_counter()

    def new():
        return llg.LLMatcher(lltok, grammar)
    bitmask = lt.allocate_token_bitmask(1, V)

    def mask(m):
        lt.fill_next_token_bitmask(m, bitmask, 0)
        return bitmask

    def accept(m, t):
        return m.consume_token(t)

    def apply(logits, bm):
        lt.apply_token_bitmask_inplace(logits, bm)
elif lib == "outlines_core":
    import outlines_core as oc
    t0 = time.perf_counter()
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    dec = {chr(c): b for b, c in zip(bs, cs)}
    vocab = {}
    special = set(tok.all_special_ids)
    for s, i in tok.get_vocab().items():
        if i in special:
            continue
        b = bytes(dec[c] for c in s) if all(c in dec for c in s) else s.encode()
        vocab.setdefault(b, []).append(i)
    vocabulary = oc.Vocabulary(eos, vocab)
    t1 = time.perf_counter()
    index = oc.Index(ANSWER_REGEX, vocabulary)
    t2 = time.perf_counter()

    def new():
        return oc.Guide(index)
    bitmask = torch.zeros(1, (V + 31) // 32, dtype=torch.int32)

    def mask(m):
        m.write_mask_into(bitmask.data_ptr(), bitmask.numel(), bitmask.element_size())
        return bitmask

    def accept(m, t):
        m.advance(t)
        return True

    def apply(logits, bm):
        from outlines_core.kernels.torch import apply_token_bitmask_inplace
        apply_token_bitmask_inplace(logits, bm)
print(f"{lib} {tokdir} V={V}: tokenizer-info {t1 - t0:.3f}s, grammar compile {t2 - t1:.3f}s")


def allowed(bm, t):
    return bool((int(bm[0, t // 32]) >> (t % 32)) & 1)


# 1) every SFT answer, token by token, is allowed at each step, and EOS after the last token
n_steps = 0
mask_s = 0.0
rejects = 0
for a in answers:
    ids = tok(a, add_special_tokens=False)["input_ids"] + [eos]
    m = new()
    for t in ids:
        s = time.perf_counter()
        bm = mask(m)
        mask_s += time.perf_counter() - s
        n_steps += 1
        if not allowed(bm, t):
            rejects += 1
            print("REJECT", repr(tok.decode(ids[:ids.index(t)])[-60:]), repr(tok.decode([t])))
            break
        accept(m, t)
print(f"answers accepted {len(answers) - rejects}/{len(answers)}, mask {1e6 * mask_s / n_steps:.0f} us/step over {n_steps} steps")

# 2) random walks: sample uniformly among allowed tokens (reaches label/plan states with wide masks)
rng = random.Random(0)
mask_s, n_steps, bad = 0.0, 0, 0
import re
for walk in range(30):
    m = new()
    out = []
    for _ in range(300):
        s = time.perf_counter()
        bm = mask(m)
        mask_s += time.perf_counter() - s
        n_steps += 1
        bits = ((bm[0].unsqueeze(-1) >> torch.arange(32, dtype=torch.int32)) & 1).flatten()[:V]
        ok = bits.nonzero().flatten().tolist()
        if walk % 2 == 0 and eos in ok and len(out) > 20:
            break
        choices = [t for t in ok if t != eos] or ok
        t = rng.choice(choices)
        if t == eos:
            break
        accept(m, t)
        out.append(t)
    text = tok.decode(out)
    lines = text.split("\n")
    if not re.fullmatch(ANSWER_REGEX, text) and not re.match(ANSWER_REGEX, text):
        bad += 1
print(f"random walks: mask {1e6 * mask_s / n_steps:.0f} us/step over {n_steps} steps; prefix-invalid {bad}")
