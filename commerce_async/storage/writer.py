"""Group commit: one writer thread runs the write jobs of concurrent requests together.

A durable commit costs far more than the work of one small request; SQLite also admits one writer
at a time. So every write job of the web process is handed to this thread, which takes all the
jobs waiting (up to ``max_batch``) and commits them in one transaction. Each caller is answered
only after the commit returned, so an answer never promises an uncommitted write.

Two kinds of job:

- a callable ``job(tx)``: runs inside its own savepoint, so a job that raises is rolled back
  alone and its caller gets the exception while the others commit;
- an ``Inserts`` job (the accept path): nothing but rows to insert. The rows of every such job
  in a batch are merged into one ``executemany`` per statement, with no savepoint per job. If a
  merged insert fails, the transaction is rolled back and every job of the batch runs again on
  its own, so one bad job still cannot fail its neighbours.

Callers on an event loop (``await writer.run(job)``) are answered with one wake-up of their loop
per batch, not one per job.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from commerce_async.storage.database import Database, Tx, is_transient, translate

log = logging.getLogger(__name__)

Job = Callable[[Tx], Any]
_STOP = object()


@dataclass(slots=True)
class Inserts:
    """A write job made only of row inserts, merged with its neighbours by the writer.

    ``statements`` are ``(sql, rows)`` pairs with positional ``?`` placeholders, run in order
    (so a parent row's statement comes before its children's). ``once`` are statements run once
    per transaction however many jobs ask for them (a PostgreSQL ``NOTIFY``). ``after_commit``
    runs after the commit, as ``Tx.after_commit`` callbacks do; ``result`` is what the caller
    gets back.
    """

    statements: list[tuple[str, list[tuple[Any, ...]]]]
    once: tuple[str, ...] = ()
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    result: Any = None

    def __call__(self, tx: Tx) -> Any:
        """Run alone, in ``tx`` (outside the writer, or when a merged batch failed)."""
        _run_merged(tx, [self])
        return self.result


class _Waiter:
    """How one caller is answered: a ``concurrent.futures.Future`` (threads) or an asyncio
    future answered on its own loop."""

    __slots__ = ("future", "loop")

    def __init__(self, future: Any, loop: asyncio.AbstractEventLoop | None) -> None:
        self.future = future
        self.loop = loop

    def start(self) -> bool:
        """False when the caller gave up before the job started (then it does not run)."""
        if self.loop is None:
            return self.future.set_running_or_notify_cancel()
        return not self.future.cancelled()


def _settle(outcomes: list[tuple[Any, bool, Any]]) -> None:
    """Answer asyncio futures, on their loop."""
    for future, ok, value in outcomes:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class GroupCommitWriter:
    def __init__(self, database: Database, max_batch: int = 512) -> None:
        self.database = database
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.batches = 0
        self.jobs = 0

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join(timeout)

    def submit(self, job: Job) -> Future[Any]:
        """Queue ``job`` from any thread; the future completes after the commit."""
        future: Future[Any] = Future()
        self._put(job, _Waiter(future, None))
        return future

    async def run(self, job: Job) -> Any:
        """Queue ``job`` from an event loop and wait for its committed result."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._put(job, _Waiter(future, loop))
        return await future

    def _put(self, job: Job, waiter: _Waiter) -> None:
        if self._thread is None:
            self.start()
        self._queue.put((job, waiter))

    def _take_batch(self) -> list[tuple[Job, _Waiter]] | None:
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
            started = [(job, waiter) for job, waiter in batch if waiter.start()]
            if started:
                self._answer(self._commit(started))

    def _commit(self, batch: list[tuple[Job, _Waiter]]) -> list[tuple[_Waiter, bool, Any]]:
        """Run ``batch`` in one transaction; the outcome of each job, once committed."""
        outcomes: list[tuple[_Waiter, bool, Any]] = []
        merged: list[tuple[Inserts, _Waiter]] = []
        others: list[tuple[Job, _Waiter]] = []
        for job, waiter in batch:
            if isinstance(job, Inserts):
                merged.append((job, waiter))
            else:
                others.append((job, waiter))
        began = False
        try:
            with self.database.transaction() as tx:
                began = True
                if merged:
                    _run_merged(tx, [job for job, _ in merged])
                    outcomes += [(waiter, True, job.result) for job, waiter in merged]
                single = len(batch) == 1
                for job, waiter in others:
                    try:
                        if single:
                            result = job(tx)
                        else:
                            with tx.driver_savepoint():
                                result = job(tx)
                    except BaseException as error:
                        if single or is_transient(error):
                            raise
                        outcomes.append((waiter, False, error))
                    else:
                        outcomes.append((waiter, True, result))
        except BaseException as error:
            failure = translate(error)
            alone_helps = began and len(batch) > 1 and (is_transient(error) or merged)
            if alone_helps:
                # The shared transaction failed as a whole (a transient error, or a merged insert
                # that cannot say whose row it was): run each job on its own so one bad
                # neighbour cannot fail the others. When the transaction could not even begin
                # (database locked or unreachable), every job would only wait for the same lock
                # again, one after the other: they all fail at once instead.
                log.warning(
                    "group commit of %d jobs failed (%s); retrying one by one", len(batch), failure
                )
                return [self._run_alone(job, waiter) for job, waiter in batch]
            return [(waiter, False, failure) for _, waiter in batch]
        self.batches += 1
        self.jobs += len(outcomes)
        return outcomes

    def _run_alone(self, job: Job, waiter: _Waiter) -> tuple[_Waiter, bool, Any]:
        try:
            with self.database.transaction() as tx:
                result = job(tx)
        except BaseException as error:
            return (waiter, False, translate(error))
        return (waiter, True, result)

    @staticmethod
    def _answer(outcomes: list[tuple[_Waiter, bool, Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, bool, Any]]] = {}
        for waiter, ok, value in outcomes:
            if waiter.loop is None:
                if ok:
                    waiter.future.set_result(value)
                else:
                    waiter.future.set_exception(value)
            else:
                by_loop.setdefault(waiter.loop, []).append((waiter.future, ok, value))
        for loop, answers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, answers)
            except RuntimeError:  # the loop closed: nobody is waiting any more
                pass


def _run_merged(tx: Tx, jobs: list[Inserts]) -> None:
    """One ``executemany`` per distinct statement, in the order statements first appear."""
    statements: dict[str, list[tuple[Any, ...]]] = {}
    once: dict[str, None] = {}
    callbacks: dict[Callable[[], None], None] = {}  # the same wake-up is needed once
    for job in jobs:
        for sql, rows in job.statements:
            statements.setdefault(sql, []).extend(rows)
        once.update(dict.fromkeys(job.once))
        callbacks.update(dict.fromkeys(job.after_commit))
    for callback in callbacks:
        tx.after_commit(callback)
    for sql, rows in statements.items():
        tx.raw_executemany(sql, rows)
    for sql in once:
        tx.execute(sql)
