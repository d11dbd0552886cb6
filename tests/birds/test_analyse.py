"""castlab.birds.analyse: recordings scored in worker processes match one process."""

from __future__ import annotations

import numpy as np
import pytest

from castlab.birds.analyse import score_recordings
from castlab.core.errors import CastlabError


@pytest.fixture(scope="module")
def recordings(demo_model, tmp_path_factory):
    from castlab.birds.synthetic import write_soundscape

    root = tmp_path_factory.mktemp("scapes")
    return [
        write_soundscape(root / f"site{k}.wav", demo_model[1], seconds=10.0 + 5 * k, seed=k)[0]
        for k in range(3)
    ]


def test_workers_give_the_same_windows_in_order(demo_model, recordings):
    alone = score_recordings(recordings, demo_model[0])
    shared = score_recordings(recordings, demo_model[0], workers=2)
    assert [r.name for r in shared] == ["site0", "site1", "site2"]
    assert [len(r.probs) for r in shared] == [2, 3, 4]
    for one, other in zip(alone, shared):
        np.testing.assert_allclose(one.probs, other.probs, atol=1e-6)


def test_a_bad_recording_in_a_worker_is_the_users_error(demo_model, recordings, tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEnot audio at all")
    with pytest.raises(CastlabError, match="broken.wav"):
        score_recordings([*recordings, broken], demo_model[0], workers=2)
