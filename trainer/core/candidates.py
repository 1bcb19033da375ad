"""What every candidate source returns, and the interface a source implements.

`Candidate` is one sampled answer, parsed. A `CandidateSource` is anything with the
`generate(prompt, k, ...)` method of `trainer.generation.generate.Generator` (in-process transformers); other
sources (an inference server over HTTP, the test fakes) implement the same method and can be used
wherever a `Generator` is (labeler, eval, bootstrap). This module imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from diagram import ParseResult


@dataclass(frozen=True)
class Candidate:
    """One sampled answer. `seconds` is the wall time of the whole k-candidate batch."""

    index: int
    text: str
    parse: ParseResult
    stopped_on_eos: bool
    n_tokens: int
    seconds: float


@runtime_checkable
class CandidateSource(Protocol):
    """Samples k candidate answers for one prompt (either prompt wording, see diagram.prompt)."""

    checkpoint: str

    def generate(self, prompt: str, k: int = 4, temperature: float = 0.8, top_p: float = 0.95,
                 max_new_tokens: int | None = None, seed: int | None = None,
                 grammar: bool | None = None) -> list[Candidate]:
        """k candidates; temperature 0 = greedy; `grammar` None = the source's default."""
        ...
