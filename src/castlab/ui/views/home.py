"""Home page: what castlab is and where each domain lives."""

import streamlit as st

st.title("castlab")
st.write(
    "The projects of an applied-ML blog as working tools. Pick a page on the left. "
    "Everything runs on this machine: nothing you upload leaves it."
)
st.markdown(
    "- **Tunes**: generate complete Irish tunes, see the sheet music, listen, download.\n"
    "- **Proteins**: the family of each sequence in your FASTA, with probabilities and top k.\n"
    "- **Sentiment**: score posts, summarise authors, map the mood of capital cities.\n"
    "- **Imbalance**: compare strategies for imbalanced training data on your CSV.\n"
    "- **Lifelog**: a dashboard from your Toggl, Daylio and uLogMe exports.\n"
    "- **Air quality**: PM2.5 per place and day: time series, map of averages, ranking.\n"
    "- **Birds**: find and name bird calls in a recording.\n"
    "- **Art**: images made by optimisation (copy a picture, style transfer).\n"
    "- **Self-supervised**: pretext tasks on your image, and classifying it."
)
st.caption(
    "Each page has the options its `castlab` command offers for your own files, and its "
    "results download."
)
