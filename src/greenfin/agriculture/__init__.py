"""Agricultural carbon account (农业碳账户): practice records, reductions, three labels.

The pure methodology lives in :mod:`greenfin.agriculture.rules` (formulas and labels) and
:mod:`greenfin.agriculture.methodology` (the versioned factor file and its loader).
"""
