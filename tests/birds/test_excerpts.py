"""Excerpts answer every clip the training can cut exactly as the whole recording does."""

from __future__ import annotations

import numpy as np
import pytest

from castlab.birds.augment import random_shift
from castlab.birds.excerpts import Excerpts, ExcerptStore, clip_interval, merge_intervals
from castlab.birds.features import cut_clip


def test_merge_intervals_joins_overlapping_and_touching_ones():
    assert merge_intervals([(10, 20), (0, 5), (5, 8), (19, 25), (30, 30)]) == [(0, 8), (10, 25)]
    assert merge_intervals([]) == []


@pytest.mark.parametrize("rate", [32_000, 22_050])
def test_every_shifted_clip_cut_from_the_excerpts_equals_the_whole_recordings(rate):
    rng = np.random.default_rng(1)
    audio = rng.normal(size=rate * 40).astype(np.float32)
    centres = [0.3, 2.0, 11.11, 11.9, 25.0, 39.8]  # near both ends, overlapping, apart
    reach = [
        clip_interval(c, seconds=5.0, max_shift=1.0, sample_rate=rate, length=len(audio))
        for c in centres
    ]
    kept = Excerpts.cut(audio, reach)
    assert kept.kept_samples < len(audio)
    for centre in centres:
        for shifted in [centre - 1.0, centre + 1.0] + [
            random_shift(centre, max_shift=1.0, rng=rng) for _ in range(50)
        ]:
            np.testing.assert_array_equal(
                cut_clip(kept, shifted, sample_rate=rate),
                cut_clip(audio, shifted, sample_rate=rate),
            )
    # a clip further off than the shift reaches is refused, not filled with zeros
    with pytest.raises(IndexError, match="outside the kept stretches"):
        cut_clip(kept, 18.0, sample_rate=rate)


def test_the_excerpts_are_copies_so_the_decoded_recording_can_be_freed():
    audio = np.arange(1000, dtype=np.float32)
    kept = Excerpts.cut(audio, [(100, 200)])
    audio[:] = -1
    assert kept[150:152].tolist() == [150.0, 151.0]


def test_the_store_maps_its_pieces_from_disk_and_answers_only_its_own_key(tmp_path):
    rng = np.random.default_rng(0)
    audios = [rng.normal(size=n).astype(np.float32) for n in (500, 80, 1200)]
    cuts = [[(10, 60), (300, 420)], [(0, 80)], [(1000, 1200), (5, 9)]]
    store = ExcerptStore(tmp_path / "clips")
    store.save(
        (Excerpts.cut(a, c) for a, c in zip(audios, cuts)),
        key={"files": ["a", "b", "c"]},
        extra=lambda: {"items": [[0, 1.5, [2]]]},
    )
    back, extra = store.load(key={"files": ["a", "b", "c"]})
    assert extra == {"items": [[0, 1.5, [2]]]}
    assert [len(b) for b in back] == [500, 80, 1200]
    assert isinstance(back[0].pieces[0], np.memmap)
    for audio, kept, cut in zip(audios, back, cuts):
        for lo, hi in cut:
            np.testing.assert_array_equal(kept[lo:hi], audio[lo:hi])
    assert store.load(key={"files": ["a", "b"]}) is None  # another folder: cut again
    with open(tmp_path / "clips" / "audio.f32", "r+b") as handle:  # cut short by a crash
        handle.truncate(100)
    assert store.load(key={"files": ["a", "b", "c"]}) is None


def test_removing_a_store_leaves_a_users_own_files_in_its_folder(tmp_path):
    kept = [Excerpts.cut(np.arange(50, dtype=np.float32), [(5, 10)])]
    shared, own = tmp_path / "clips", tmp_path / "own"
    shared.mkdir()
    (shared / "my_notes.txt").write_text("precious")
    for folder in (shared, own):
        ExcerptStore(folder).save(kept, key={"files": []})
        ExcerptStore(folder).remove()
    assert [p.name for p in shared.iterdir()] == ["my_notes.txt"]
    assert not own.exists()  # the store's own folder goes with it
