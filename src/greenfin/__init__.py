"""greenfin: an open platform for regional green finance (the Quzhou model)."""

__version__ = "0.1.0"
