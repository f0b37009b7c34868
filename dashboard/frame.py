"""The opening every page shares: collect a run that finished elsewhere, then the title and purpose."""

from __future__ import annotations

import streamlit as st

from dashboard import runs


def begin_page(title: str, purpose: str) -> None:
    # Each page collects, not app.py, because Streamlit can run a page script without the entry
    # file (AppTest does so on reruns when a pages/ folder exists). A run that finished while
    # another page was shown must still reach this one.
    runs.collect_finished_job()
    st.title(title)
    st.write(purpose)
