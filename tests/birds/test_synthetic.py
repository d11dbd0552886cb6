import numpy as np
import pytest

from castlab.birds.synthetic import background_noise, make_species, mix_at_snr, synthetic_call


def test_species_are_distinct_and_named():
    species = make_species(12)
    assert len({s.name for s in species}) == 12
    assert len({(s.kind, round(s.f_start)) for s in species}) == 12


@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_mix_at_snr_hits_the_requested_ratio(snr_db):
    rng = np.random.default_rng(0)
    noise = background_noise(3.0, rng=rng)
    call = synthetic_call(make_species(1)[0], rng=rng)
    mixed = mix_at_snr(noise, call, start=16000, snr_db=snr_db)
    added = (mixed - noise)[16000 : 16000 + call.size]
    loud = added[np.abs(added) > 0.1 * np.abs(added).max()]
    measured = 10 * np.log10(np.mean(loud**2) / np.mean(noise[16000 : 16000 + call.size] ** 2))
    assert measured == pytest.approx(snr_db, abs=0.01)
