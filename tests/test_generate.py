"""Generation: k parsed candidates per prompt, stopping on EOS, seeded, thread-safe."""

import threading

import pytest

from trainer.generate import Candidate, Generator

from conftest import MICRO_REQUESTS, micro_pairs


@pytest.fixture(scope="module")
def generator(micro_sft_checkpoint):
    return Generator(micro_sft_checkpoint)


def test_greedy_generation_reproduces_training_answers_and_stops_on_eos(generator):
    for prompt, answer in micro_pairs():
        (cand,) = generator.generate(prompt, k=1, temperature=0)
        assert cand.text == answer
        assert cand.stopped_on_eos
        assert cand.parse.ok
