"""Sample K candidate diagrams for one prompt: batched sampling with a KV cache, stop on EOS.

    gen = Generator("checkpoints/tiny-sft")                  # load once, call many times
    cands = gen.generate(build_prompt("DL model with 3 input nodes, 2 outputs"), k=4, seed=0)
    [c.parse.ok for c in cands]

    diagramlab generate --checkpoint checkpoints/tiny-sft --prompt "flowchart: load -> train" \\
        -k 4 --out-dir runs/gen [--seed 0]          # writes candidate_N.txt and candidate_N.png

`Generator` is thread-safe (one lock around the model call), so the labeler can share one per
process. All k candidates are sampled in one batch (`num_return_sequences=k`); each stops at the
tokenizer's EOS (`<|EOT|>`), and `max_new_tokens` caps runaway samples.

Grammar-constrained decoding is on by default (`grammar=True`, see trainer/generation/grammar.py): every
sampled token keeps the text a prefix of the answer format, and EOS comes only after a complete
line. `grammar=False` (`--no-grammar`) samples freely, as before, for comparison.

Reading the request is on by default too (`read=True`): when `diagram.reader.read_request` reads
the structure a request states (a dense net's layer sizes, a pipeline's named steps), that plan's
line (`# layers 3-5-2`) is written as the start of every candidate, and with the grammar on the
drawing is constrained to exactly that structure (`diagram.plan.structure_regex`: ids, targets,
labels fixed; positions, sizes, shapes, line shapes and colours sampled). Requests it cannot read
(CNNs, free prose) are sampled as before, the model writing its own plan line. `read=False`
(`--no-read`) leaves every request to the model, for comparison.

Coordinates by construction (the default with the grammar on; `free_layout=True` /
`--free-layout` samples every coordinate as before, for comparison): the model samples only the
plan line (when the request was not read, or no `plan` was given) and a style line
(`diagram.style`: direction, gap, size, shapes, palette, line) under the grammar; the layout
engine (`diagram.engine`, graphviz `dot`) then writes every node line for that plan and style, so
every candidate is tidy and has exactly the plan's structure. 2k style lines are sampled in one
batch and the first k distinct ones kept (K candidates differ in style, not in structure). When
the model's own plan line cannot be read, that candidate's nodes are sampled freely (the old path).
`generate(plan=...)` draws a given plan (e.g. one the person edited) instead of reading the request.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch
from transformers import LogitsProcessorList

from collections import Counter
from collections.abc import Callable

from diagram import RenderError, build_prompt, extract_request, parse, render
from diagram.engine import LayoutEngine
from diagram.export import export_files, parse_formats
from diagram.grammar import NODE_LINE, PLAN_LINE
from diagram.plan import Plan, fits, parse_plan_line, structure_regex
from diagram.reader import read_request
from diagram.style import STYLE_REGEX, Style, parse_style_line
from trainer.core.candidates import Candidate
from trainer.core.checkpoint import CheckpointError, read_manifest
from trainer.generation.fastforward import sample_fast_forward
from trainer.generation.grammar import AnswerGrammar
from trainer.generation.modeling import load_model
from trainer.generation.scoring import answer_logprobs
from trainer.core.template import encode_prompt

DEFAULT_CHECKPOINT = "checkpoints/tiny-sft"
MAX_NEW_TOKENS = 1024  # the longest synthetic answer is ~400 tiny-preset tokens
# Below this size a decode step is a few hundred tiny ops: extra CPU threads only add OpenMP
# synchronisation, which is 10x slower when other processes share the cores (measured on 2 cores).
SINGLE_THREAD_PARAMS = 50_000_000


STYLE_TOKENS = 200  # new-token budget of a laid-out answer: the style line (and a plan line when none was read)
STYLE_ROOM = 64     # context a long request's prompt leaves free for the style line (its tokens and EOS)

class Generator:
    """A loaded checkpoint that samples candidates; load once and reuse (thread-safe)."""

    def __init__(self, checkpoint: str | Path = DEFAULT_CHECKPOINT, device: str | None = None,
                 dtype: str | torch.dtype | None = None, threads: int | None = None,
                 grammar: bool = True, read: bool = True, free_layout: bool = False,
                 reader: Callable[[str], Plan | None] | None = None):
        """`threads`: torch CPU threads during generate (default: 1 for small models on CPU).

        `grammar`: the default for `generate(grammar=None)`: constrain sampling to the answer format.
        `read`: the default for `generate(read=None)`: draw the structure the request states.
        `free_layout`: the default for `generate(free_layout=None)`: sample coordinates instead of
        laying the plan out with the engine for a sampled style.
        `reader`: what reads a request (default: the rules, `diagram.reader.read_request`; a
        `trainer.generation.http_reader.ServedReader` with `--reader-url`).
        """
        self.checkpoint = str(checkpoint)
        self.model, self.tokenizer = load_model(checkpoint, device=device, dtype=dtype)
        self.device = next(self.model.parameters()).device
        self.n_parameters = sum(p.numel() for p in self.model.parameters())
        if threads is None and self.device.type == "cpu" and self.n_parameters < SINGLE_THREAD_PARAMS:
            threads = 1
        self.threads = threads
        self._lock = threading.Lock()
        self.eos_id = self.tokenizer.eos_token_id
        self.pad_id = self.tokenizer.pad_token_id
        positions = getattr(self.model.config, "max_position_embeddings", None) or MAX_NEW_TOKENS * 2
        self.max_positions = int(positions)
        self.default_cap = default_token_cap(checkpoint)
        self.grammar = grammar
        self.read = read
        self.reader = reader or read_request
        self.free_layout = free_layout
        self.engine = LayoutEngine()
        self._answer_grammar: AnswerGrammar | None = None
        self._narrowed: dict[str, AnswerGrammar] = {}
        if grammar:
            self.answer_grammar()

    def answer_grammar(self) -> AnswerGrammar:
        """The answer grammar compiled for this tokenizer (built once, on first use)."""
        if self._answer_grammar is None:
            width = self.model.get_output_embeddings().weight.shape[0]
            self._answer_grammar = AnswerGrammar(self.tokenizer, vocab_size=width)
        return self._answer_grammar

    def narrowed(self, regex: str) -> AnswerGrammar:
        """The answer grammar narrowed to `regex`, compiled once per generator (call under the lock)."""
        if regex not in self._narrowed:
            self._narrowed[regex] = self.answer_grammar().narrowed(regex)
        return self._narrowed[regex]

    def fitting_prompt(self, prompt: str, room: int) -> list[int]:
        """The prompt's token ids, leaving `room` tokens of the model's context free. A request too
        long for that (a pasted model summary) is cut at its end, kept from its start, marked " ...":
        used only when the plan was read from the whole request, so the drawing's structure does not
        depend on the model seeing all of it (the model writes the style line)."""
        ids = encode_prompt(self.tokenizer, prompt)
        if len(ids) + room <= self.max_positions:
            return ids
        request = extract_request(prompt)

        def cut(n: int) -> list[int]:
            return encode_prompt(self.tokenizer, build_prompt(request[:n].rstrip() + " ..."))

        lo, hi = 0, len(request)  # the longest start of the request that fits (binary search)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(cut(mid)) + room <= self.max_positions:
                lo = mid
            else:
                hi = mid - 1
        return cut(lo)

    def token_cap(self, prompt_len: int, max_new_tokens: int | None) -> int:
        """New-token budget: the request (default from the checkpoint), within the model's context."""
        room = self.max_positions - prompt_len
        if room <= 0:
            raise ValueError(f"prompt is {prompt_len} tokens; the model's context is {self.max_positions}")
        return max(1, min(max_new_tokens or self.default_cap, room))

    def generate(self, prompt: str, k: int = 4, temperature: float = 0.8, top_p: float = 0.95,
                 max_new_tokens: int | None = None, seed: int | None = None,
                 grammar: bool | None = None, read: bool | None = None, plan: Plan | None = None,
                 free_layout: bool | None = None) -> list[Candidate]:
        """k candidates for `prompt` (wrapped by diagram.build_prompt, either wording); temperature 0 = greedy.

        `grammar`: constrain to the answer format (None: the generator's default).
        `read`: start every candidate with the plan the request states, if it states one, and (with
        the grammar) draw exactly that structure (None: the generator's default).
        `plan`: draw this plan (e.g. one the person edited) instead of reading the request.
        `free_layout`: sample coordinates instead of the engine's layout (None: the default).
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        use_grammar = self.grammar if grammar is None else grammar
        if plan is None and (self.read if read is None else read):
            plan = self.reader(extract_request(prompt))
        if use_grammar and not (self.free_layout if free_layout is None else free_layout):
            return self._generate_laid_out(prompt, plan, k, temperature, top_p, seed, max_new_tokens)
        constraint = None
        if use_grammar:
            with self._lock:
                constraint = self.answer_grammar()
                if plan:  # the model may write its style line first (free layout: it places the nodes)
                    constraint = self.narrowed("(" + r"\n" + STYLE_REGEX + ")?" + structure_regex(plan))
        prefix = self.tokenizer(plan.line(), add_special_tokens=False)["input_ids"] if plan else []
        if max_new_tokens and plan:  # an explicit cap counts the plan line written for the model
            prefix = prefix[: max_new_tokens - 1]
            wanted: int | None = max_new_tokens - len(prefix)
        else:
            wanted = max_new_tokens or (max(self.default_cap, plan_token_estimate(plan, self.tokenizer))
                                        if plan else None)
        prompt_ids = self.fitting_prompt(prompt, len(prefix) + min(wanted or self.default_cap, self.max_positions // 2)) \
            if plan else encode_prompt(self.tokenizer, prompt)
        cap = self.token_cap(len(prompt_ids) + len(prefix), wanted)
        n_rows = k if temperature > 0 else 1
        with self._lock, torch.inference_mode(), _seeded(seed), _num_threads(self.threads):
            started = time.perf_counter()
            if plan is not None and constraint is not None:
                # about half of a planned drawing is forced: write it without a step per token
                rows = sample_fast_forward(self.model, prompt_ids + prefix, n_rows, constraint, cap=cap,
                                           temperature=temperature, top_p=top_p, eos_id=self.eos_id,
                                           pad_id=self.pad_id)
            else:
                rows = self._sample(prompt_ids + prefix, n_rows, cap, temperature, top_p, constraint)
            seconds = time.perf_counter() - started
        if temperature <= 0:  # greedy samples are identical: decode once, repeat
            rows = rows * k
        return [self._candidate(i, prefix, row, seconds) for i, row in enumerate(rows)]

    def _generate_laid_out(self, prompt: str, plan: Plan | None, k: int, temperature: float,
                           top_p: float, seed: int | None, max_new_tokens: int | None = None
                           ) -> list[Candidate]:
        """Sample (plan line +) style lines, lay the plan out per style with the engine.

        An explicit `max_new_tokens` still caps each answer (counting the plan line): a longer
        one is cut there and reported as not stopped, as a sampled one would be."""
        prefix = self.tokenizer(plan.line(), add_special_tokens=False)["input_ids"] if plan else []
        prompt_ids = self.fitting_prompt(prompt, len(prefix) + STYLE_ROOM) if plan else \
            encode_prompt(self.tokenizer, prompt)
        regex = r"\n" + STYLE_REGEX if plan else PLAN_LINE + r"\n" + STYLE_REGEX
        cap = self.token_cap(len(prompt_ids) + len(prefix), STYLE_TOKENS)
        n_rows = 2 * k if temperature > 0 else 1  # spare styles, so k distinct ones where possible
        started = time.perf_counter()
        with self._lock, torch.inference_mode(), _seeded(seed), _num_threads(self.threads):
            constraint = self.narrowed(regex)
            rows = sample_fast_forward(self.model, prompt_ids + prefix, n_rows, constraint, cap=cap,
                                       temperature=temperature, top_p=top_p, eos_id=self.eos_id,
                                       pad_id=self.pad_id)
        heads = [self.tokenizer.decode(prefix + [t for t in row if t not in (self.eos_id, self.pad_id)],
                                       skip_special_tokens=True).strip() for row in rows]
        if plan is None:  # the model's own plan: the one most rows agree on, if any can be drawn
            plans = [parse_plan_line(h.split("\n")[0]) for h in heads]
            drawable = [p.line() for p in plans if p is not None and fits(p)]
            plan = parse_plan_line(Counter(drawable).most_common(1)[0][0]) if drawable else None
        if plan is None:  # nothing to lay out: sample the nodes as before, after the model's head
            return self._free_after(prompt_ids, [heads[i % len(heads)] for i in range(k)],
                                    temperature, top_p, seed, started)
        styles = [s for s in (parse_style_line(h.split("\n")[-1]) for h in heads) if s is not None]
        chosen = list(dict.fromkeys(styles))[:k]  # distinct first, in sampling order
        chosen += [styles[i % len(styles)] for i in range(k - len(chosen))] if styles else \
            [Style()] * (k - len(chosen))  # a style line cut at the token cap: the default style
        with self._lock:
            texts = [self.engine.answer(plan, style) for style in chosen]
        seconds = time.perf_counter() - started
        return [self._forced_candidate(i, text, max_new_tokens, seconds) for i, text in enumerate(texts)]

    def _forced_candidate(self, index: int, text: str, cap: int | None, seconds: float) -> Candidate:
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if cap and len(ids) + 1 > cap:
            ids = ids[:cap]
            text = self.tokenizer.decode(ids, skip_special_tokens=True).strip()
            return Candidate(index, text, parse(text), False, len(ids), seconds)
        return Candidate(index, text, parse(text), True, len(ids) + 1, seconds)

    def _free_after(self, prompt_ids: list[int], heads: list[str], temperature: float,
                    top_p: float, seed: int | None, started: float) -> list[Candidate]:
        """Candidates whose node lines are sampled (free coordinates) after each sampled head."""
        out = []
        regex = r"\n" + NODE_LINE + r"(\n" + NODE_LINE + r")*\n?"
        for i, head in enumerate(heads):
            prefix = self.tokenizer(head, add_special_tokens=False)["input_ids"]
            cap = self.token_cap(len(prompt_ids) + len(prefix), None)
            with self._lock, torch.inference_mode(), _seeded(None if seed is None else seed + i), \
                    _num_threads(self.threads):
                constraint = self.narrowed(regex)
                row = self._sample(prompt_ids + prefix, 1, cap, temperature, top_p, constraint)[0]
            out.append((prefix, row))
        seconds = time.perf_counter() - started
        return [self._candidate(i, prefix, row, seconds) for i, (prefix, row) in enumerate(out)]

    def score(self, prompt: str, answers: list[str], batch_size: int = 8) -> list[tuple[float, int]]:
        """(sum of log-probs, token count) of each answer (+ EOS) after `prompt`, tokenized as
        training does (`trainer.generation.scoring.answer_logprobs`); e.g. candidates' texts, whose mean
        per-token log-probs give active selection its margins."""
        with self._lock, _num_threads(self.threads):
            return answer_logprobs(self.model, self.tokenizer, prompt, answers, batch_size=batch_size)

    def _sample(self, ids: list[int], n_rows: int, cap: int, temperature: float, top_p: float,
                constraint: AnswerGrammar | None) -> list[list[int]]:
        """`model.generate` with the grammar (if any) as a logits processor: new ids per row."""
        input_ids = torch.tensor([ids], device=self.device)
        sampling: dict[str, Any] = {"do_sample": False}
        if temperature > 0:
            sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0}
        output = self.model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=cap,
            num_return_sequences=n_rows,
            eos_token_id=self.eos_id,
            pad_token_id=self.pad_id,
            use_cache=True,
            logits_processor=LogitsProcessorList([constraint.processor()] if constraint else []),
            **sampling,
        )
        return output[:, len(ids):].tolist()

    def _candidate(self, index: int, prefix: list[int], ids: list[int], seconds: float) -> Candidate:
        stopped = self.eos_id in ids
        if stopped:
            ids = ids[: ids.index(self.eos_id) + 1]
        else:
            ids = [t for t in ids if t != self.pad_id]
        text = self.tokenizer.decode(prefix + ids, skip_special_tokens=True).strip()
        return Candidate(index, text, parse(text), stopped, len(prefix) + len(ids), seconds)


def plan_token_estimate(plan: Plan, tokenizer: Any) -> int:
    """New-token budget for drawing `plan`: its node lines with the widest values each field allows,
    tokenized, plus a quarter, so a large structure is not cut at the usual cap."""
    lines = [f"[{n.id}, 1000, 600, 'round rectangle', 1000, 600, 'dashed line', (255, 255, 255), "
             f"(255, 255, 255), [{', '.join(map(str, n.targets))}], '{n.label}']" for n in plan.nodes()]
    return len(tokenizer("\n".join(lines), add_special_tokens=False)["input_ids"]) * 5 // 4 + 8


def default_token_cap(checkpoint: str | Path) -> int:
    """1.5x the longest training answer (manifest `max_answer_tokens`), else MAX_NEW_TOKENS.

    A sample that runs past this is broken anyway; stopping it early keeps the labeler's K
    candidates from waiting on one runaway sequence.
    """
    try:
        longest = read_manifest(checkpoint).get("max_answer_tokens")
    except CheckpointError:
        return MAX_NEW_TOKENS
    if not isinstance(longest, int) or longest <= 0:
        return MAX_NEW_TOKENS
    return min(MAX_NEW_TOKENS, longest * 3 // 2 + 16)


@contextlib.contextmanager
def _num_threads(threads: int | None):
    """Use `threads` torch threads for one call, then restore the process setting."""
    if not threads:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@contextlib.contextmanager
def _seeded(seed: int | None):
    """Seed torch's RNG for one call without disturbing the caller's global RNG stream."""
    if seed is None:
        yield
        return
    devices = [torch.cuda.current_device()] if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


# ---- the `diagramlab generate` command ---------------------------------------------------------

def add_generate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT, help="checkpoint dir or HF id")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--prompt", help="the request, e.g. 'DL model with 3 inputs, 2 outputs'")
    source.add_argument("--prompt-file", help="file holding the request (or an already wrapped prompt)")
    parser.add_argument("-k", type=int, default=4, help="number of candidates (default 4)")
    parser.add_argument("--out-dir", required=True, help="writes candidate_N.txt and candidate_N.<format> here")
    parser.add_argument("--format", default="png", type=_export_formats,
                        help="drawings to write per candidate, comma-separated: svg, png, dot, mermaid "
                             "or all (default png)")
    parser.add_argument("--seed", type=int, default=None, help="sampling seed (default: random)")
    parser.add_argument("--temperature", type=float, default=0.8, help="0 for greedy (default 0.8)")
    parser.add_argument("--top-p", type=float, default=0.95, help="nucleus sampling mass (default 0.95)")
    parser.add_argument("--max-new-tokens", type=int, default=None, help=f"cap (default {MAX_NEW_TOKENS})")
    parser.add_argument("--device", default=None, help="cpu, cuda, ... (default: cuda if available)")
    add_grammar_argument(parser)


def _export_formats(spec: str) -> tuple[str, ...]:
    try:
        return parse_formats(spec)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_grammar_argument(parser: argparse.ArgumentParser) -> None:
    """`--no-grammar`: sample without the answer-format constraint; `--no-read`: leave every request's
    structure to the model (both for comparison)."""
    parser.add_argument("--no-grammar", dest="grammar", action="store_false",
                        help="sample freely instead of constraining tokens to the answer format")
    parser.add_argument("--no-read", dest="read", action="store_false",
                        help="do not read the structure a request states (layer sizes, named steps); "
                             "the model writes its own plan line")
    add_free_layout_argument(parser)


def add_free_layout_argument(parser: argparse.ArgumentParser) -> None:
    """`--free-layout`: the model samples every coordinate (instead of the layout engine placing the
    plan's nodes for a sampled style line), for comparison."""
    parser.add_argument("--free-layout", dest="free_layout", action="store_true",
                        help="sample every coordinate instead of laying the plan out with the engine "
                             "for a sampled style line (for comparison)")


def run_generate(args: argparse.Namespace) -> int:
    text = Path(args.prompt_file).read_text(encoding="utf-8") if args.prompt_file else args.prompt
    prompt = build_prompt(extract_request(text))
    generator = Generator(args.checkpoint, device=args.device, grammar=getattr(args, "grammar", True),
                          read=getattr(args, "read", True), free_layout=getattr(args, "free_layout", False))
    candidates = generator.generate(prompt, k=args.k, temperature=args.temperature, top_p=args.top_p,
                                    max_new_tokens=args.max_new_tokens, seed=args.seed)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for cand in candidates:
        (out / f"candidate_{cand.index}.txt").write_text(cand.text + "\n", encoding="utf-8")
        status = "ok" if cand.parse.ok else f"{len(cand.parse.errors)} parse errors"
        if cand.parse.diagram.nodes:
            try:
                export_files(cand.parse.diagram, out, f"candidate_{cand.index}", getattr(args, "format", ("png",)))
            except RenderError as exc:
                status += f", not rendered ({exc})"
        eos = "EOS" if cand.stopped_on_eos else "cut at token cap"
        print(f"candidate_{cand.index}: {len(cand.parse.diagram.nodes)} nodes, {status}, "
              f"{cand.n_tokens} tokens, {eos}")
    print(f"{len(candidates)} candidates in {candidates[0].seconds:.2f} s -> {out}", file=sys.stderr)
    return 0
