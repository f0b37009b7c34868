"""Streamlit helpers shared by the pages: session state, live training view and result panels."""
