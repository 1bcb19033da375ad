"""Test tools that the tests and the benchmarks share; not shipped (pyproject's packages list
leaves it out), imported from the repository root as `testing.*`.

- `testing.fakes`: light stand-ins (a fake candidate source, a fake checkpoint, a prompt pool, an
  app context in a temp dir): no torch, no model weights;
- `testing.faults`: fault injection (damaged checkpoints, writers killed at random moments, a
  hand-edited CSV);
- `testing.users`: the simulated users of the taste benchmarks (what they like, what they pick);
- `testing.requests_scoring`: reading and scoring the hand-written held-out requests;
- `testing.faults_ckpt`: damaged and edited parent checkpoints; `testing.style_source`: a seeded
  fake model whose candidates differ in style, for the taste model.

The rule: `tests/` and `benchmarks/` both import from here; `tests/` never imports `benchmarks/`,
`benchmarks/` never imports `tests/`, and the shipped packages (diagram, trainer, labeler,
diagramlab) import neither (tests/test_layering.py checks all four).
"""
