"""One module per workflow stage: what its jobs do, from the settings the rules pass them.

The workflow's scripts call these; the algorithms live below (``simulate``, ``features``,
``abc``, ``nn``, ``sweeps``, ``evaluation``).
"""
