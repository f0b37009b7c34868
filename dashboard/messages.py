"""Showing text from the core library, such as error messages, exactly as written."""

from __future__ import annotations

import re

# Characters that Streamlit's Markdown would turn into formatting, links, HTML or LaTeX.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$])")


def plain(text: str) -> str:
    """Escape Markdown so a message such as "use 3*x, not 3x" shows its asterisks."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
