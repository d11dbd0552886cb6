"""tunes: a language model for Irish traditional tunes in ABC notation ("WhistleGen")."""

__all__: list[str] = []
