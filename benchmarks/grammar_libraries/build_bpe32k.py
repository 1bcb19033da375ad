"""A deepseek-coder-like byte-level BPE (digits split, GPT-2 regex + ByteLevel, 32k vocab) trained on local text only.

Run from the repo root: python benchmarks/grammar_libraries/build_bpe32k.py runs/bpe32k
"""
import sys

import pandas as pd
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers, Regex
from transformers import PreTrainedTokenizerFast
from trainer.data.synth import iter_examples
import itertools
texts = []
df = pd.read_csv("data/sft_dataset_llm.csv")
texts += list(df.input_data) + list(df.output_data)
pool = pd.read_csv("data/orpo_prompts.csv")
texts += list(pool.prompt) + list(pool.reference)
for ex in itertools.islice(iter_examples(seed=5, labels=True), 6000):
    texts += [ex.request, ex.answer]
# plus generic English/code-ish text so the vocab fills up like a code model's
import glob
for f in glob.glob("/work/main/.venv/lib/python3.11/site-packages/transformers/**/*.py", recursive=True)[:1500]:
    texts.append(open(f, encoding="utf-8", errors="ignore").read())
b = Tokenizer(models.BPE())
# deepseek-coder: split digits individually, letters+punctuation runs, then ByteLevel
b.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(r"\p{N}"), behavior="isolated"),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
])
b.decoder = decoders.ByteLevel()
tr = trainers.BpeTrainer(vocab_size=32000, min_frequency=2, special_tokens=["<｜begin▁of▁sentence｜>", "<|EOT|>", "<｜end▁of▁sentence｜>"],
                         initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
b.train_from_iterator(texts, trainer=tr)
tok = PreTrainedTokenizerFast(tokenizer_object=b, bos_token="<｜begin▁of▁sentence｜>", eos_token="<|EOT|>", pad_token="<｜end▁of▁sentence｜>", clean_up_tokenization_spaces=False)
tok.save_pretrained(sys.argv[1] if len(sys.argv) > 1 else "runs/bpe32k")
print(len(tok))
