import numpy as np

from castlab.birds.peaks import find_peaks, snr_curve
from castlab.birds.plots import plot_cluster_examples, plot_cluster_map, plot_peaks, plot_timeline
from castlab.birds.synthetic import make_species, synthetic_recording


def test_every_figure_is_a_png(tmp_path):
    audio, _ = synthetic_recording(make_species(1)[0], seconds=6.0, rng=np.random.default_rng(0))
    times, snr = snr_curve(audio)
    paths = [
        plot_peaks(audio, 32000, times, snr, find_peaks(times, snr, count=3), tmp_path / "p.png"),
        plot_timeline(
            np.random.default_rng(0).random((6, 3)),
            ["a", "b", "c"],
            np.full(3, 0.5),
            tmp_path / "t.png",
            truth=[["a"], [], ["b", "c"], [], [], []],
        ),
        plot_cluster_map(
            np.random.default_rng(0).normal(size=(9, 2)),
            [0, 1, 2] * 3,
            tmp_path / "m.png",
            species=["x", "y", "z"] * 3,
        ),
        plot_cluster_examples([[audio[:32000]], [audio[32000:64000]]], 32000, tmp_path / "e.png"),
    ]
    for path in paths:
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_the_cluster_map_legends_name_colours_and_markers_apart():
    """Each cluster's colour is named once, and each species' marker in grey: a species'
    legend entry no longer takes the colour of whichever cluster its first call fell in."""
    from matplotlib.colors import to_hex

    from castlab.birds.plots import cluster_map_figure

    fig = cluster_map_figure(
        np.random.default_rng(0).normal(size=(9, 2)), [2, 0, 1] * 3, species=["x", "y", "z"] * 3
    )
    ax = fig.axes[0]
    legends = [a for a in ax.get_children() if a.__class__.__name__ == "Legend"]
    texts = {lg.get_title().get_text(): [t.get_text() for t in lg.get_texts()] for lg in legends}
    assert texts == {"colour": ["cluster 0", "cluster 1", "cluster 2"], "marker": ["x", "y", "z"]}
    marker = next(lg for lg in legends if lg.get_title().get_text() == "marker")
    assert {to_hex(h.get_color()) for h in marker.legend_handles} == {"#666666"}
