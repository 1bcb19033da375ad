"""The tiny preset's tokenizer: byte-level BPE trained on the synthetic corpus, plus EOS/pad fixes.

Two choices keep sequences short (and therefore training and sampling fast on a CPU):
- the fixed prompt pieces (the chat wrapper, `PROMPT_PREFIX`, `PROMPT_SUFFIX`) are added tokens,
  so the ~700-character format description is one token;
- the pre-tokenizer keeps a diagram field together with its leading separator
  (`, 'round rectangle'`, `, (224, 224, 240), (64, 64, 128)`, `, 300`, `]]\n[1`), so BPE learns
  frequent fields as single tokens and a node line costs about ten tokens;
- a label (`, 'Vector DB']`) is split into words like the request, so the model copies a name
  from the request with the same word tokens instead of one opaque token per label.

Byte-level BPE can still spell any input, so nothing is ever out of vocabulary.

    tok = train_tokenizer(texts, vocab_size=2048)
    tok.decode(tok("[0, 62, 300, 'circle'")["input_ids"]) == "[0, 62, 300, 'circle'"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from diagram.model import LINE_SHAPES, SHAPES
from diagram.prompt import PROMPT_PREFIX, PROMPT_SUFFIX
from trainer.core.template import EOS_TOKEN

BOS_TOKEN = "<|bos|>"
PAD_TOKEN = "<|pad|>"
SPECIAL_TOKENS = (BOS_TOKEN, EOS_TOKEN, PAD_TOKEN)
# Fixed strings of every training example, matched verbatim before BPE (see template.model_input).
FIXED_PIECES = ("### Question: ", "\n ### Answer: ", PROMPT_PREFIX, "\n" + PROMPT_SUFFIX)

# Order matters: the first alternative that matches at a position wins. Frequent pre-tokens end
# up as single BPE tokens, so a node line costs about ten tokens.
PRETOKEN_PATTERN = "|".join(
    [
        # Shape or line shape, with its separator. Width and height stay separate number tokens:
        # merging them into the shape token made rare sizes spell the line differently, and the
        # model then dropped or doubled fields.
        r"(?:, )?'(?:" + "|".join(SHAPES + LINE_SHAPES) + ")'",  # names: letters and spaces only
        # A label's quotes are tokens of their own and its words are split like the request's
        # words, so copying "Vector DB" from the request into `, 'Vector DB'` reuses its tokens.
        r", '",
        r"'\]+\n\[\d+",  # end of a labelled node line + the next node's id
        r"'\]+\n?",  # end of the last labelled line
        r"(?:, )?\(\d+, \d+, \d+\)(?:, \(\d+, \d+, \d+\))?",  # fill colour (+ line colour)
        r"\]+\n\[\d+",  # end of a node line + the next node's id
        r"(?:, \[|, |\[| )?\d+",  # a number, with the separator, list bracket or space before it
        r"(?:, )?\[?\]+\n?",  # end of a target list and of the node line
        r" ?\p{L}+",  # a word (requests are English)
        r" ?[^\s\p{L}\p{N}]+",  # other punctuation
        r"\s+",
    ]
)
_FIXED_SPLIT = re.compile("|".join(re.escape(p) for p in sorted(FIXED_PIECES, key=len, reverse=True)))


def _pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKEN_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )


def _segments(texts: Iterable[str]) -> Iterator[str]:
    """The texts cut at the fixed pieces: what BPE sees at encode time, after added tokens are split off."""
    for text in texts:
        yield from (part for part in _FIXED_SPLIT.split(text) if part)


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2048) -> PreTrainedTokenizerFast:
    """Train the byte-level BPE tokenizer on `texts` and wrap it for transformers."""
    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = _pre_tokenizer()
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(_segments(texts), trainer=trainer)
    backend.add_tokens([AddedToken(p, normalized=False, special=False) for p in FIXED_PIECES])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=BOS_TOKEN,
        eos_token=EOS_TOKEN,
        pad_token=PAD_TOKEN,
        # Decoding must return the exact text: no "clean up" of spaces before punctuation.
        clean_up_tokenization_spaces=False,
        model_max_length=4096,
    )
    tokenizer.add_bos_token = True
    return tokenizer


def fix_special_tokens(tokenizer: PreTrainedTokenizerFast) -> PreTrainedTokenizerFast:
    """Use `<|EOT|>` as EOS when the vocab has it; make sure pad exists and differs from EOS.

    deepseek-coder-instruct's tokenizer already uses `<|EOT|>` as EOS and a separate pad token;
    this only repairs tokenizers that lack one. A pad equal to EOS is replaced because some
    collators mask pad positions out of the labels, which would also mask the EOS we train on.
    """
    vocab = tokenizer.get_vocab()
    if EOS_TOKEN in vocab and tokenizer.eos_token != EOS_TOKEN:
        tokenizer.eos_token = EOS_TOKEN
    if tokenizer.eos_token is None:
        raise ValueError("the tokenizer has no EOS token and no <|EOT|> in its vocabulary")
    if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        for candidate in (PAD_TOKEN, tokenizer.unk_token, tokenizer.bos_token):
            if candidate and candidate in vocab and candidate != tokenizer.eos_token:
                tokenizer.pad_token = candidate
                break
        else:
            # Last resort: a new token; load_model resizes the embeddings to match.
            tokenizer.add_special_tokens({"pad_token": PAD_TOKEN})
    return tokenizer
