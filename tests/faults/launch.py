"""``python -m tests.faults.launch <commerce-async arguments>``: the real command line, with the
probe routes of ``tests.faults.probe`` added to the route table.

Everything else (settings, storage, server, consumer loop, signal handling) is the shipped code,
so a fault test that kills these processes exercises exactly what production runs.
"""

from __future__ import annotations

import sys

from commerce_async import bootstrap, cli

PROBE_MODULE = "tests.faults.probe"

if PROBE_MODULE not in bootstrap.DOMAIN_MODULES:
    bootstrap.DOMAIN_MODULES = (*bootstrap.DOMAIN_MODULES, PROBE_MODULE)

if __name__ == "__main__":
    sys.exit(cli.main())
