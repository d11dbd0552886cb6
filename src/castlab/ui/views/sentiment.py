"""Sentiment page: type posts or upload a file; scores per post, per author and per capital."""

from typing import TYPE_CHECKING, Any

import streamlit as st

from castlab.ui.common import kept_uploader, save_upload, work_dir
from castlab.ui.results import Progress, input_key, last_result, run_action

if TYPE_CHECKING:
    import pandas as pd

    from castlab.sentiment.scorers import Scorer

st.title("Sentiment")
st.caption(
    "p(negative), p(neutral), p(positive) and score = p(pos) - p(neg) per post; a summary and "
    "hexbins per author; mean score per capital city. The same code as `castlab sentiment`."
)

POST_SUFFIXES = (".csv", ".tsv", ".jsonl", ".parquet", ".txt")
#: Post fields a column can be chosen for (``castlab sentiment score --text-column`` etc.).
FIELDS = {
    "text": "Text column",
    "author": "Author column",
    "country": "Country column",
    "latitude": "Latitude column",
    "longitude": "Longitude column",
}
RECOGNISED = "(recognised by name)"
#: Posts scored on this page at most; the CLI streams files of any size.
MAX_POSTS = 10_000
SCORE_BATCH = 256  # posts per scorer call (one progress step)


@st.cache_resource(show_spinner="Loading the scorer...")
def load_scorer(name: str) -> "Scorer":
    """``default`` (fine-tuned MiniLM shipped in castlab), ``minilm`` or ``vader``."""
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
    key="sentiment-typed",
    persist_state="session",
)
upload = kept_uploader(
    "...or a file of posts (used instead of the text): CSV, TSV, JSONL or Parquet with a text "
    "column, and optionally author, country or latitude/longitude; or a .txt file, one post "
    "per line (e.g. TweetEval's val_text.txt)",
    key="sentiment-upload",
    types=POST_SUFFIXES,
)


@st.cache_data(show_spinner=False, max_entries=4)
def file_columns(name: str, data: bytes) -> list[str]:
    """The columns of an uploaded table (empty for a .txt file or one pandas cannot read)."""
    import io

    import pandas as pd

    buffer = io.BytesIO(data)
    try:
        if name.endswith(".csv"):
            return [str(c) for c in pd.read_csv(buffer, nrows=5).columns]
        if name.endswith(".tsv"):
            return [str(c) for c in pd.read_csv(buffer, sep="\t", nrows=5).columns]
        if name.endswith(".jsonl"):
            return [str(c) for c in pd.read_json(buffer, lines=True, nrows=50).columns]
        if name.endswith(".parquet"):
            return [str(c) for c in pd.read_parquet(buffer).columns]
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):
        pass  # read_posts reports the problem with its line
    return []


chosen_columns: dict[str, str] = {}
if upload is not None:
    found = file_columns(upload.name.lower(), upload.getvalue())
    if found:
        st.caption(
            "Which column holds what: leave a field on '(recognised by name)' to use the usual "
            "names (text, tweet, content; author, username; country; latitude, lat; ...)."
        )
        for column, (field, label) in zip(st.columns(len(FIELDS)), FIELDS.items()):
            picked = column.selectbox(
                label, [RECOGNISED, *found], key=f"column-{field}", persist_state="session"
            )
            if picked != RECOGNISED:
                chosen_columns[field] = picked
left, middle, right = st.columns([2, 1, 2])
scorer_name = left.radio(
    "Scorer",
    ["default", "minilm", "vader"],
    horizontal=True,
    help="default: MiniLM fine-tuned on tweets, shipped in castlab (best); minilm: frozen "
    "MiniLM sentence vectors + a linear head (faster); vader: a word lexicon (instant).",
    key="sentiment-scorer-name",
    persist_state="session",
)
radius_km = middle.number_input(
    "Capital radius (km)",
    min_value=1.0,
    value=50.0,
    step=10.0,
    key="sentiment-radius-km",
    persist_state="session",
)
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
    from castlab.sentiment.data import ColumnMap, read_posts

    with work_dir() as folder:
        if use_example:
            path = folder / "example-posts.csv"
            path.write_bytes(example_csv())
            return read_posts(path, keep_columns=True)
        if upload is not None:
            path = save_upload(upload, folder, suffixes=POST_SUFFIXES)
            if path.suffix.lower() == ".txt":  # a post per line: nothing to choose
                return read_posts(path, keep_columns=True)
            return read_posts(path, columns=ColumnMap(**chosen_columns), keep_columns=True)
    lines = [line.strip() for line in typed.splitlines() if line.strip()]
    if not lines:
        raise CastlabError("no posts", fix="type a post, upload a file or score the example")
    return pd.DataFrame({"text": lines})


def scored_posts(frame: "pd.DataFrame", progress: Progress) -> "pd.DataFrame":
    """Every column of ``frame`` and the scores after them; a file written by `sentiment
    score` is kept as is."""
    from castlab.sentiment.data import ColumnMap
    from castlab.sentiment.scorers import is_scored, score_posts

    if is_scored(frame):
        return frame
    progress(0.0, f"Scoring {len(frame)} posts with {scorer_name}...")
    scorer = load_scorer(scorer_name)
    return score_posts(
        frame,
        scorer,
        columns=ColumnMap(**chosen_columns),
        batch_size=SCORE_BATCH,
        progress=lambda done, total: progress(done / total, f"{done} of {total} posts"),
    )


def compute(use_example: bool, progress: Progress) -> dict[str, Any]:
    """Scores, and the author and capital views the columns allow."""
    from castlab.sentiment.data import ColumnMap, tidy_posts
    from castlab.sentiment.plots import plot_author_hexbins, write_capital_map_html
    from castlab.sentiment.scorers import is_scored
    from castlab.sentiment.views import author_summary, capital_sentiment

    frame = read_input(use_example)
    notes = []
    if len(frame) > MAX_POSTS:
        notes.append(
            f"{len(frame)} posts: this page scores the first {MAX_POSTS}; "
            "`castlab sentiment score` streams files of any size."
        )
        frame = frame.head(MAX_POSTS)
    if is_scored(frame):
        notes.append("The file already has scores (from `castlab sentiment score`): shown as is.")
    scored = scored_posts(frame, progress)
    result: dict[str, Any] = {"scored": scored, "notes": notes, "authors": None, "capitals": None}
    posts = tidy_posts(scored, columns=ColumnMap(**chosen_columns))  # the views' columns
    has_authors = "author" in posts.columns and posts["author"].notna().any()
    has_places = "country" in posts.columns or {"latitude", "longitude"} <= set(posts.columns)
    with work_dir() as folder:
        if has_authors:
            summary = author_summary(posts)
            chosen = posts[posts["author"].isin(summary["author"])]
            hexbins = plot_author_hexbins(chosen, folder / "hexbins.png").read_bytes()
            result["authors"] = (summary, hexbins)
        if has_places:
            table = capital_sentiment(posts, radius_km=radius_km, report=notes.append)
            page = None if table.empty else write_capital_map_html(table, folder / "map.html")
            result["capitals"] = (table, None if page is None else page.read_text())
    return result


def show(result: dict[str, Any], current: bool) -> None:
    if not current:
        st.caption("These results are for earlier posts or settings; press Score to update.")
    for note in result["notes"]:
        st.info(note)
    scored = result["scored"]
    st.subheader("Posts")
    st.dataframe(scored, hide_index=True)
    st.download_button(
        "Download scores (CSV)",
        scored.to_csv(index=False),
        file_name="scored.csv",
        mime="text/csv",
        on_click="ignore",
    )
    if result["authors"] is None and result["capitals"] is None:
        st.info(
            "Per-author view: needs an author column. Capital-city map: needs a country "
            "column or latitude and longitude (choose them above if their names are not "
            "recognised). Try the example for both."
        )
    if result["authors"] is not None:
        summary, hexbins = result["authors"]
        st.subheader("Authors")
        st.dataframe(summary, hide_index=True)
        st.download_button(
            "Download authors (CSV)",
            summary.to_csv(index=False),
            file_name="authors.csv",
            mime="text/csv",
            on_click="ignore",
        )
        st.image(hexbins, caption="Score against post length, per author (hexbins)")
        st.download_button(
            "Download hexbins (PNG)", hexbins, "hexbins.png", "image/png", on_click="ignore"
        )
    if result["capitals"] is not None:
        table, page = result["capitals"]
        st.subheader("Capital cities")
        if page is None:
            st.info(f"No post names a known country or lies within {radius_km:g} km of a capital.")
            return
        st.dataframe(table, hide_index=True)
        # the library's map carries plotly.js and the country shapes inline: no network
        st.iframe(page, height=520)
        st.caption(f"Mean score per capital city: {len(table)} countries with posts.")
        left, right = st.columns(2)
        left.download_button(
            "Download capitals (CSV)",
            table.to_csv(index=False),
            file_name="capitals.csv",
            mime="text/csv",
            on_click="ignore",
        )
        right.download_button(
            "Download the map (HTML)",
            page,
            file_name="map.html",
            mime="text/html",
            on_click="ignore",
        )


score_column, example_column = st.columns(2)
score_typed = score_column.button("Score", type="primary")
score_example = example_column.button("Score the generated example (every view)")
own_input = input_key(upload, typed)  # what the visitor gave: a change ends the example's turn
if score_typed or score_example:
    st.session_state["sentiment-example"] = own_input if score_example else None
example_shown = st.session_state.get("sentiment-example") == own_input
source = "example" if example_shown else (upload or typed)
key = input_key(source, chosen_columns, scorer_name, radius_km)
if score_typed or score_example:
    run_action(
        "sentiment",
        key,
        lambda progress: compute(score_example, progress),
        controls={f"{field}_column": label for field, label in FIELDS.items()},
        label="Scoring...",
    )
shown = last_result("sentiment", key)
if shown is not None:
    show(*shown)
