"""The opening every page shares: route through app.py, collect a finished run, then the title and purpose."""

from __future__ import annotations

import streamlit as st
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from dashboard import runs
from dashboard.inputs import forget_invalid_inputs


def begin_page(title: str, purpose: str) -> None:
    route_through_app()
    forget_invalid_inputs()
    # Each page collects, not app.py, because Streamlit can run a page script without the entry
    # file (AppTest does so on reruns when a pages/ folder exists). A run that finished while
    # another page was shown must still reach this one.
    runs.collect_finished_job()
    st.title(title)
    st.write(purpose)


def route_through_app() -> None:
    """Rerun through app.py when Streamlit ran this page file without it.

    A pages/ folder makes Streamlit run a page file directly until some script calls
    st.navigation, so a first visit to /predict after a server start would get no navigation
    titles, warm-up or logging. AppTest resets that mode before every run, and a rerun there
    would drop the click under test; AppTest patches config.get_option, hence its use here.
    """
    if PagesManager.uses_pages_directory and not config.get_option("global.appTest"):
        PagesManager.uses_pages_directory = False
        st.rerun()
