"""trainer.training: fitting a model: SFT, the preference run, ORPO/DPO/SimPO/KTO, distributed, verdict."""
