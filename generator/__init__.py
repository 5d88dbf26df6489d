"""digest: a static site generator for an AI-in-healthcare news digest."""

__version__ = "0.1.0"
