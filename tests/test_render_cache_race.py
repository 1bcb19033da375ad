"""The render cache's pruning survives files that other sessions rename or delete meanwhile."""

import os

from labeler import limits


def test_prune_dir_skips_a_file_that_vanishes_after_listing(tmp_path, monkeypatch):
    for i in range(5):
        (tmp_path / f"f{i}.png").write_bytes(b"x" * 100)
    real_scandir = os.scandir

    def scandir_then_vanish(path):
        entries = list(real_scandir(path))
        (tmp_path / "f0.png").unlink()  # a concurrent writer renamed its .part file away
        return entries

    monkeypatch.setattr(limits.os, "scandir", scandir_then_vanish)
    assert limits.prune_dir(tmp_path, max_bytes=250, max_files=100) == 2
    assert len(list(tmp_path.iterdir())) == 2
