"""The Streamlit app: ``castlab ui`` runs this script (``streamlit run``)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

# not "pages": Streamlit would take a pages/ folder for its older kind of multipage app, and
# a first visit straight to e.g. /imbalance ran that page alone, without this navigation
PAGES = Path(__file__).parent / "views"

st.set_page_config(page_title="castlab", layout="wide")
navigation = st.navigation(
    [
        st.Page(PAGES / "home.py", title="castlab", default=True),
        st.Page(PAGES / "tunes.py", title="Tunes", url_path="tunes"),
        st.Page(PAGES / "proteins.py", title="Proteins", url_path="proteins"),
        st.Page(PAGES / "sentiment.py", title="Sentiment", url_path="sentiment"),
        st.Page(PAGES / "imbalance.py", title="Imbalance", url_path="imbalance"),
        st.Page(PAGES / "lifelog.py", title="Lifelog", url_path="lifelog"),
        st.Page(PAGES / "airquality.py", title="Air quality", url_path="airquality"),
        st.Page(PAGES / "birds.py", title="Birds", url_path="birds"),
        st.Page(PAGES / "art.py", title="Art", url_path="art"),
        st.Page(PAGES / "selfsup.py", title="Self-supervised", url_path="selfsup"),
    ]
)
navigation.run()
