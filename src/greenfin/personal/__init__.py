"""Personal carbon account (个人碳账户): residents' low-carbon payments become avoided CO2,
points and a green-credit grade.

The methodology is data (:mod:`greenfin.personal.catalogue`: the 18 scenarios, grade
bands, expiry rule, each a versioned TOML file) and its semantics are pure rules
(:mod:`greenfin.personal.rules`: award with daily caps, grade, expiry, the ledger hash
chain). ``docs/methodology/personal.md`` explains every number.
"""
