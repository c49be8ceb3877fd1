"""The demo region: a deterministic, Quzhou-like region of industrial enterprises at any scale.

``greenfin demo`` (``cli.py``) builds it with :func:`greenfin.demo.service.build_region`
from the pure generator in ``region.py`` and serves the platform on it.
"""
