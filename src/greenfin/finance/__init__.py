"""Carbon-linked finance (碳账户金融): carbon labels and grades turned into credit terms.

The pure rules live in :mod:`greenfin.finance.rules` (base offer + standings -> traced
terms) and :mod:`greenfin.finance.policy` (the versioned regional policy tables, with
per-bank overrides, and their loader).
"""
