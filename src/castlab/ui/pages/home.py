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
    "- **Lifelog**: a dashboard from your Toggl, Daylio and uLogMe exports."
)
