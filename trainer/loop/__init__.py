"""trainer.loop: the labeling loop: rounds (config, data selection, the round), bootstrap pairs."""
