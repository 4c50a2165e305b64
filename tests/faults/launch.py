"""``python -m tests.faults.launch <commerce-async arguments>``: the real command line, with the
probe routes of ``tests.faults.probe`` added to the route table.

Everything else (settings, storage, server, consumer loop, signal handling) is the shipped code,
so a fault test that kills these processes exercises exactly what production runs.

``FAULT_FREEZE_AFTER_CLAIM=1`` makes the process stop itself with SIGSTOP right after its first
non-empty claim: a consumer frozen while it holds leases, at a known point, for lease tests.
"""

from __future__ import annotations

import os
import signal
import sys

from commerce_async import bootstrap, cli
from commerce_async.queue import database as database_queue

PROBE_MODULE = "tests.faults.probe"

if PROBE_MODULE not in bootstrap.DOMAIN_MODULES:
    bootstrap.DOMAIN_MODULES = (*bootstrap.DOMAIN_MODULES, PROBE_MODULE)


def freeze_after_first_claim() -> None:
    claim = database_queue.DatabaseSource.claim
    frozen = []

    def claim_then_freeze(self, limit, timeout):  # type: ignore[no-untyped-def]
        deliveries = claim(self, limit, timeout)
        if deliveries and not frozen:
            frozen.append(True)
            os.kill(os.getpid(), signal.SIGSTOP)
        return deliveries

    database_queue.DatabaseSource.claim = claim_then_freeze  # type: ignore[method-assign]


if os.environ.get("FAULT_FREEZE_AFTER_CLAIM") == "1":
    freeze_after_first_claim()

if __name__ == "__main__":
    sys.exit(cli.main())
