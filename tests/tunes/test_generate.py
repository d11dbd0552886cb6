"""castlab.tunes.generate beyond sampling (sampling is tested through the decoder and CLI)."""

from castlab.tunes.generate import unusual_meter


def test_a_type_in_a_meter_it_is_not_written_in_gets_a_note():
    assert "a slip jig is written in 9/8, not 6/8" in unusual_meter("Slip Jig", "6/8")
    assert unusual_meter("hornpipe", "2/4") is None and unusual_meter("air", "3/4") is None
    assert unusual_meter("jig", "not a meter") is None  # generate_tunes refuses it
