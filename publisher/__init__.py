"""publisher: Markdown posts in git, turned into a web archive, feeds and email."""

__version__ = "0.1.0"
