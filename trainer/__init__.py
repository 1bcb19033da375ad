"""diagramlab's trainer: datasets, model loading, SFT, generation, evaluation, preferences, ORPO.

Run `diagramlab --help` for the commands; each lives in its own module with `main()`.
"""
