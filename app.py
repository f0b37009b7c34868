"""numpattern dashboard: watch a small neural network learn a numeric pattern, then predict with it.

Run with ``streamlit run app.py``. Pages live in pages/; every computation is in numpattern/.
"""

import logging

import streamlit as st

from dashboard.warmup import start_warm_up

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="numpattern: watch a network learn", layout="wide")
start_warm_up()

pages = [
    st.Page("pages/start.py", title="Start", default=True),
    st.Page("pages/data.py", title="1. Data"),
    st.Page("pages/train.py", title="2. Train"),
    st.Page("pages/predict.py", title="3. Predict"),
    st.Page("pages/models.py", title="Saved models"),
]
st.navigation(pages).run()
