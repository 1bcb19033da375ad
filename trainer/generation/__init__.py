"""trainer.generation: loading a model and sampling from it: generate, grammar, fast-forward, batching, sources (local, HTTP), GBNF, GGUF export, scoring, modeling, tokenizer, evaluate."""
