"""Birds page: upload a recording -> PCEN-SNR peaks, soundscape timeline, a player per detection."""

import streamlit as st

from castlab.ui.common import save_upload, show_errors, work_dir

st.title("Birds")
st.caption(
    "Find and name bird calls: PCEN-SNR peaks, a small CNN on log-mel clips, a timeline of "
    "5-second windows with per-species thresholds."
)

AUDIO = (".wav", ".flac", ".ogg", ".mp3")
upload = st.file_uploader("A recording (WAV, FLAC, OGG or MP3)", type=[s[1:] for s in AUDIO])
use_example = st.checkbox(
    "Use a generated example soundscape (made-up species)", value=upload is None
)
model_path = st.text_input(
    "Model folder from `castlab birds train` (empty: a small CNN trained here on made-up species)",
    value="",
)
threshold = st.slider(
    "Detection threshold (when the model has no thresholds.json)", 0.05, 0.95, 0.5
)


@st.cache_resource(show_spinner="Training a small CNN on made-up species (about 30 s)...")
def demo_model() -> tuple[str, list]:
    import tempfile

    from castlab.birds.demo import build_demo_model

    folder, species = build_demo_model(tempfile.mkdtemp(prefix="castlab-birds-"))
    return str(folder), species


def analyse() -> None:
    import io
    from pathlib import Path

    import numpy as np
    import soundfile as sf

    from castlab.birds.analyse import analyse_soundscapes, peaks_picture
    from castlab.birds.audio import load_audio
    from castlab.core.errors import CastlabError

    with work_dir() as folder:
        if model_path.strip():
            model = Path(model_path.strip())
        else:
            model = Path(demo_model()[0])
        if use_example:
            from castlab.birds.synthetic import make_species, write_soundscape

            # the demo model's species (same generator and seed)
            path, _ = write_soundscape(
                folder / "example.wav", make_species(4), seconds=40.0, calls=6, seed=3
            )
        else:
            if upload is None:
                raise CastlabError("no recording uploaded", fix="upload audio or tick the example")
            path = save_upload(upload, folder, suffixes=AUDIO)
        picture, peaks = peaks_picture(path, folder / "peaks.png")
        st.image(
            str(picture),
            caption=f"Spectrogram, PCEN-SNR curve and the {len(peaks)} strongest peaks",
        )
        saved = model / "thresholds.json"
        files = analyse_soundscapes(
            [path], model, folder / "out", thresholds=None if saved.exists() else threshold
        )
        timeline = next(p for name, p in files.items() if name.startswith("timeline_"))
        st.image(
            str(timeline), caption="Soundscape timeline: probability per species and 5-s window"
        )
        import pandas as pd

        table = pd.read_csv(files["probabilities"])
        st.dataframe(table)
        st.download_button(
            "Download submission (CSV)", files["submission"].read_bytes(), "submission.csv"
        )
        from castlab.birds.classifier import load_classifier

        rate = load_classifier(model).sample_rate
        audio = load_audio(path, sample_rate=rate)
        detections = table[table["birds"] != "nocall"].head(10)
        if detections.empty:
            st.info("No window above its threshold.")
        for row in detections.itertuples():
            buffer = io.BytesIO()
            clip = audio[int(row.start * rate) : int(row.end * rate)]
            sf.write(buffer, np.asarray(clip), rate, format="WAV")
            st.write(f"**{row.start:.0f}-{row.end:.0f} s**: {row.birds.replace('_', ' ')}")
            st.audio(buffer.getvalue(), format="audio/wav")


if st.button("Analyse", type="primary"):
    show_errors(analyse)
