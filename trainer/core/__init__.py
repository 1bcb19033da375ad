"""trainer.core: torch-free: the vocabulary, files, the stores, judgments, events, checkpoint manifests, configs and the trainer registry, selection, agreement, CLI helpers."""
