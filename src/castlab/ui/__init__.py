"""castlab's web app (Streamlit): one page per domain over the same library code as the CLI."""

__all__: list[str] = []
