"""One module per RESULTS.md section; each exposes ``KEY``, ``TITLE`` and ``run(ctx)``."""
