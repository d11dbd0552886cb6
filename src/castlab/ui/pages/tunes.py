"""Tunes page: pick type, meter, key and temperature; generate; see, hear, download."""

import streamlit as st

from castlab.ui.common import show_errors, work_dir

st.title("Tunes")
st.caption("An ABC language model that writes complete tunes with every bar the right length.")


@st.cache_resource
def load_model():  # type: ignore[no-untyped-def]
    from castlab.tunes.model import TuneModel

    return TuneModel.pretrained()


model = load_model()
left, right = st.columns(2)
rhythm = left.selectbox("Type", ["(model chooses)", *model.header_values("R")], index=0)
meter = left.selectbox("Meter", ["(model chooses)", *model.header_values("M")], index=0)
key = left.selectbox("Key", ["(model chooses)", *model.header_values("K")], index=0)
temperature = right.slider("Temperature", 0.1, 1.5, 0.7, 0.05)
seed = right.number_input("Seed", min_value=0, value=0, step=1)
constrained = right.checkbox("Constrained (complete AABB tunes)", value=True)


def generate() -> None:
    from castlab.tunes.generate import GenerateConfig, generate_tunes
    from castlab.tunes.render import write_outputs

    def chosen(value: str) -> str | None:
        return None if value.startswith("(") else value

    config = GenerateConfig(
        rhythm=chosen(rhythm),
        meter=chosen(meter),
        key=chosen(key),
        seed=int(seed),
        temperature=temperature,
        constrained=constrained,
        length=200,
    )
    with st.spinner("Writing a tune..."):
        tune = generate_tunes(model, config)[0].tune
    with work_dir() as folder, st.spinner("Engraving and rendering audio..."):
        files = write_outputs(tune, folder, f"tune-{seed}")
        st.code(tune.to_abc(), language=None)
        if files.svg is not None:
            svg = files.svg.read_text()
            st.image(svg[svg.find("<svg") :], caption="Sheet music (abcm2ps)")
        if files.wav is not None:
            st.audio(files.wav.read_bytes(), format="audio/wav")
        columns = st.columns(3)
        for column, path, mime in zip(
            columns, (files.abc, files.midi, files.wav), ("text/vnd.abc", "audio/midi", "audio/wav")
        ):
            if path is not None:
                column.download_button(
                    f"Download {path.suffix[1:].upper()}",
                    path.read_bytes(),
                    file_name=path.name,
                    mime=mime,
                )
        st.caption("; ".join(files.notes))


if st.button("Generate", type="primary"):
    show_errors(generate)
