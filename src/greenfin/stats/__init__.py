"""Green-finance statistics: green use catalogues, green-loan figures, benefits, financed emissions.

The pure rules are in :mod:`greenfin.stats.rules`; the versioned methodology (green use
catalogues and the mappings between their versions, the PBoC evaluation indicators) is data
under ``data/``, read and validated by :mod:`greenfin.stats.methodology`. Definitions, their
sources and the decisions taken where the sources are silent: ``docs/methodology/stats.md``.
"""
