"""Sentiment page: type posts or upload a file; scores per post, per author and per capital."""

from typing import TYPE_CHECKING

import streamlit as st
import streamlit.components.v1 as components

from castlab.ui.common import save_upload, show_errors, work_dir

if TYPE_CHECKING:
    import pandas as pd

    from castlab.sentiment.scorers import Scorer

st.title("Sentiment")
st.caption(
    "p(negative), p(neutral), p(positive) and score = p(pos) - p(neg) per post; a summary and "
    "hexbins per author; mean score per capital city. The same code as `castlab sentiment`."
)

POST_SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet")
#: Posts scored on this page at most; the CLI streams files of any size.
MAX_POSTS = 10_000
SCORE_BATCH = 256  # posts per scorer call (one progress step)


@st.cache_resource(show_spinner="Loading the scorer...")
def load_scorer(name: str) -> "Scorer":
    """``vader`` (instant) or ``minilm`` (packaged MiniLM + the head shipped in castlab)."""
    from castlab.sentiment.scorers import load_scorer as load

    return load(name)


@st.cache_data(show_spinner=False)
def example_csv() -> bytes:
    """Generated posts: three authors with a known temper, and posts near 30 capitals."""
    import pandas as pd

    from castlab.sentiment.synthetic import generate_author_posts, generate_capital_posts

    authors = generate_author_posts(n_per_author=40, seed=0)
    places = generate_capital_posts(n_countries=30, per_country=5, seed=1)
    posts = pd.concat([authors, places.drop(columns="iso3")], ignore_index=True)
    return posts.to_csv(index=False).encode()


typed = st.text_area(
    "Posts, one per line",
    value="What a wonderful day, I love this!\nThe store opens at 9 on weekdays.\n"
    "Worst customer service ever, I am so angry",
    height=120,
)
upload = st.file_uploader(
    "...or a file of posts (used instead of the text): CSV, TSV, JSONL or Parquet with a text "
    "column, and optionally author, country or latitude/longitude",
    type=[suffix[1:] for suffix in POST_SUFFIXES],
)
left, middle, right = st.columns([2, 1, 2])
scorer_name = left.radio(
    "Scorer",
    ["minilm", "vader"],
    horizontal=True,
    help="minilm: MiniLM sentence vectors + the head shipped in castlab (better); "
    "vader: a word lexicon (instant).",
)
radius_km = middle.number_input("Capital radius (km)", min_value=1.0, value=50.0, step=10.0)
right.download_button(
    "Download the example file (CSV)",
    example_csv(),
    file_name="example-posts.csv",
    mime="text/csv",
    on_click="ignore",
    help="Generated posts by three authors and from 30 capital cities; nothing real.",
)


def read_input(use_example: bool) -> "pd.DataFrame":
    """The posts to score: the example, the upload or the typed lines."""
    import pandas as pd

    from castlab.core.errors import CastlabError
    from castlab.sentiment.data import read_posts

    with work_dir() as folder:
        if use_example:
            path = folder / "example-posts.csv"
            path.write_bytes(example_csv())
            return read_posts(path)
        if upload is not None:
            return read_posts(save_upload(upload, folder, suffixes=POST_SUFFIXES))
    lines = [line.strip() for line in typed.splitlines() if line.strip()]
    if not lines:
        raise CastlabError("no posts", fix="type a post, upload a file or score the example")
    return pd.DataFrame({"text": lines})


def scored_posts(frame: "pd.DataFrame") -> "pd.DataFrame":
    """``frame`` with the scores joined; a file written by `sentiment score` is kept as is."""
    from castlab.sentiment.scorers import is_scored, score_posts

    if is_scored(frame):
        st.caption("The file already has scores (from `castlab sentiment score`): shown as is.")
        return frame
    bar = st.progress(0.0, text=f"Scoring {len(frame)} posts with {scorer_name}...")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{done} of {total} posts")

    scored = score_posts(frame, load_scorer(scorer_name), batch_size=SCORE_BATCH, progress=progress)
    bar.empty()
    return scored


def show(use_example: bool) -> None:
    from castlab.sentiment.plots import plot_author_hexbins, write_capital_map_html
    from castlab.sentiment.views import author_summary, capital_sentiment

    frame = read_input(use_example)
    if len(frame) > MAX_POSTS:
        st.warning(
            f"{len(frame)} posts: this page scores the first {MAX_POSTS}; "
            "`castlab sentiment score` streams files of any size."
        )
        frame = frame.head(MAX_POSTS)
    scored = scored_posts(frame)
    st.subheader("Posts")
    st.dataframe(scored, hide_index=True)
    st.download_button(
        "Download scores (CSV)",
        scored.to_csv(index=False),
        file_name="scored.csv",
        mime="text/csv",
        on_click="ignore",
    )
    has_authors = "author" in scored.columns and scored["author"].notna().any()
    has_places = "country" in scored.columns or {"latitude", "longitude"} <= set(scored.columns)
    if not (has_authors or has_places):
        st.info(
            "Per-author view: needs an author column. Capital-city map: needs a country "
            "column or latitude and longitude. Try the example for both."
        )
    with work_dir() as folder:
        if has_authors:
            st.subheader("Authors")
            summary = author_summary(scored)
            st.dataframe(summary, hide_index=True)
            chosen = scored[scored["author"].isin(summary["author"])]
            hexbins = plot_author_hexbins(chosen, folder / "hexbins.png")
            st.image(str(hexbins), caption="Score against post length, per author (hexbins)")
        if has_places:
            st.subheader("Capital cities")
            table = capital_sentiment(scored, radius_km=radius_km)
            if table.empty:
                st.info(
                    f"No post names a known country or lies within {radius_km:g} km of a capital."
                )
                return
            st.dataframe(table, hide_index=True)
            page = write_capital_map_html(table, folder / "map.html").read_text()
            # the library's map carries plotly.js and the country shapes inline: no network
            components.html(page, height=520)
            st.caption(f"Mean score per capital city: {len(table)} countries with posts.")
            st.download_button(
                "Download the map (HTML)",
                page,
                file_name="map.html",
                mime="text/html",
                on_click="ignore",
            )


score_column, example_column = st.columns(2)
score_typed = score_column.button("Score", type="primary")
score_example = example_column.button("Score the generated example (every view)")
if score_typed or score_example:
    show_errors(lambda: show(use_example=score_example))
