"""trainer.data: torch-free: synthetic SFT data and request phrasings, the diagram commands."""
