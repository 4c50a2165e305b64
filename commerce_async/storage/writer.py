"""Group commit: one writer thread runs the write jobs of concurrent requests together.

A durable commit costs far more than the work of one small request; SQLite also admits one writer
at a time. So every write job of the web process is handed to this thread, which takes all the
jobs waiting (up to ``max_batch``), runs each inside its own savepoint, and commits once. A job that
raises is rolled back alone and its caller gets the exception; the others commit. Each caller's
future is completed only after the commit returned, so an answer never promises an uncommitted
write.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from commerce_async.storage.database import Database, Tx, is_transient, translate

log = logging.getLogger(__name__)

Job = Callable[[Tx], Any]
_STOP = object()


class GroupCommitWriter:
    def __init__(self, database: Database, max_batch: int = 512) -> None:
        self.database = database
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.jobs = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            self._thread = None

    def submit(self, job: Job) -> Future[Any]:
        future: Future[Any] = Future()
        self._queue.put((job, future))
        if self._thread is None:
            self.start()
        return future

    async def run(self, job: Job) -> Any:
        return await asyncio.wrap_future(self.submit(job))

    def _take_batch(self) -> list[tuple[Job, Future[Any]]] | None:
        first = self._queue.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._queue.put(_STOP)
                break
            batch.append(item)
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            self._commit(batch)

    def _commit(self, batch: list[tuple[Job, Future[Any]]]) -> None:
        outcomes: list[tuple[Future[Any], bool, Any]] = []
        began = False
        try:
            with self.database.transaction() as tx:
                began = True
                single = len(batch) == 1
                for job, future in batch:
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        if single:
                            result = job(tx)
                        else:
                            with tx.savepoint():
                                result = job(tx)
                    except BaseException as error:
                        if single:
                            raise
                        if is_transient(error):
                            raise
                        outcomes.append((future, False, error))
                    else:
                        outcomes.append((future, True, result))
        except BaseException as error:
            failure = translate(error)
            if began and len(batch) > 1 and is_transient(error):
                # A transient failure of the shared transaction: run each job on its own so one
                # bad neighbour cannot fail the others. When the transaction could not even
                # begin (database locked or unreachable), every job would only wait for the same
                # lock again, one after the other: they all fail at once instead.
                log.warning(
                    "group commit of %d jobs failed (%s); retrying one by one", len(batch), failure
                )
                for job, future in batch:
                    if future.done():
                        continue
                    self._run_alone(job, future)
                return
            for job_future in (f for _, f in batch):
                if not job_future.done():
                    job_future.set_exception(failure)
            return
        self.batches += 1
        self.jobs += len(outcomes)
        for future, ok, value in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _run_alone(self, job: Job, future: Future[Any]) -> None:
        try:
            with self.database.transaction() as tx:
                result = job(tx)
        except BaseException as error:
            future.set_exception(translate(error))
        else:
            future.set_result(result)
