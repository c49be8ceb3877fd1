"""The region as data: the city greenfin runs for, its counties with codes and names, its rate references.

A region is a versioned file ``data/<code>.toml`` (GB/T 2260 city code). ``GREENFIN_REGION``
picks it (:attr:`greenfin.settings.Settings.region`, default ``330800`` 衢州市); the
application and the CLI load and validate it at start-up. Every other module asks
:mod:`greenfin.region.service` for the region's code, name and counties: no region code is
written anywhere else in the code.
"""
