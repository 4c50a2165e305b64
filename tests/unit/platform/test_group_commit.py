"""The group-commit writer: batches commit together, merged inserts, one bad job fails alone."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from commerce_async.storage.database import Database, Tx
from commerce_async.storage.writer import GroupCommitWriter, Inserts
from tests.support import make_settings

INSERT = "INSERT INTO item (name, parent) VALUES (?, ?)"
PARENT = "INSERT INTO parent (name) VALUES (?)"


@pytest.fixture
def database(tmp_path: Path):
    db = Database(make_settings(tmp_path))
    with db.transaction() as tx:
        tx.execute("CREATE TABLE parent (name TEXT PRIMARY KEY)")
        tx.execute(
            "CREATE TABLE item (name TEXT PRIMARY KEY,"
            " parent TEXT REFERENCES parent (name), CHECK (name <> 'bad'))"
        )
    yield db
    db.dispose()


def names(db: Database, table: str = "item") -> list[str]:
    with db.read() as tx:
        return [row[0] for row in tx.all(f"SELECT name FROM {table} ORDER BY name")]


class Gate:
    """Holds the writer thread inside a first job, so the next jobs queue up into one batch."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, tx: Tx) -> str:
        self.entered.set()
        assert self.release.wait(10)
        return "gate"


def rows_job(parent: str, *children: str, calls: list[str] | None = None) -> Inserts:
    callbacks = [lambda: calls.append(parent)] if calls is not None else []
    return Inserts(
        [(PARENT, [(parent,)]), (INSERT, [(child, parent) for child in children])],
        after_commit=callbacks,
        result=parent,
    )


def batch_of(writer: GroupCommitWriter, jobs: list) -> list:
    """Submit ``jobs`` while the writer is held, so they are taken as one batch."""
    gate = Gate()
    first = writer.submit(gate)
    assert gate.entered.wait(10)
    futures = [writer.submit(job) for job in jobs]
    gate.release.set()
    assert first.result(10) == "gate"
    return futures


def test_merged_inserts_commit_once_in_statement_order(database: Database) -> None:
    writer = GroupCommitWriter(database)
    calls: list[str] = []
    try:
        futures = batch_of(
            writer,
            [rows_job("p1", "a", "b", calls=calls), rows_job("p2", "c", calls=calls)],
        )
        assert [future.result(10) for future in futures] == ["p1", "p2"]
        assert writer.batches == 2  # the gate's batch, then both jobs in one transaction
    finally:
        writer.stop()
    assert names(database) == ["a", "b", "c"]
    assert names(database, "parent") == ["p1", "p2"]
    assert sorted(calls) == ["p1", "p2"]


def test_a_bad_merged_job_fails_alone(database: Database) -> None:
    writer = GroupCommitWriter(database)
    try:
        futures = batch_of(
            writer, [rows_job("p1", "a"), rows_job("p2", "bad"), rows_job("p3", "c")]
        )
        assert futures[0].result(10) == "p1"
        with pytest.raises(Exception, match="CHECK constraint failed"):
            futures[1].result(10)
        assert futures[2].result(10) == "p3"
    finally:
        writer.stop()
    assert names(database) == ["a", "c"]
    assert names(database, "parent") == ["p1", "p3"]  # nothing of the bad job is left


def test_a_failing_callable_job_is_rolled_back_alone(database: Database) -> None:
    def good(name: str):
        return lambda tx: tx.execute(f"INSERT INTO parent (name) VALUES ('{name}')") and name

    def bad(tx: Tx) -> None:
        tx.execute("INSERT INTO parent (name) VALUES ('half')")
        raise ValueError("no")

    writer = GroupCommitWriter(database)
    try:
        futures = batch_of(writer, [good("x"), bad, rows_job("p", "a"), good("y")])
        assert futures[0].result(10) == "x"
        with pytest.raises(ValueError):
            futures[1].result(10)
        assert futures[2].result(10) == "p"
        assert futures[3].result(10) == "y"
    finally:
        writer.stop()
    assert names(database, "parent") == ["p", "x", "y"]


def test_event_loop_callers_are_answered_after_the_commit(database: Database) -> None:
    writer = GroupCommitWriter(database)

    async def main() -> list[str]:
        jobs = [rows_job(f"p{index}", f"c{index}") for index in range(50)]
        return list(await asyncio.gather(*(writer.run(job) for job in jobs)))

    try:
        results = asyncio.run(main())
    finally:
        writer.stop()
    assert results == [f"p{index}" for index in range(50)]
    assert len(names(database)) == 50


def test_a_job_cancelled_before_it_started_does_not_run(database: Database) -> None:
    writer = GroupCommitWriter(database)
    gate = Gate()
    try:
        first = writer.submit(gate)
        assert gate.entered.wait(10)
        cancelled = writer.submit(rows_job("gone", "z"))
        assert cancelled.cancel()
        kept = writer.submit(rows_job("kept", "k"))
        gate.release.set()
        assert first.result(10) == "gate" and kept.result(10) == "kept"
    finally:
        writer.stop()
    assert names(database, "parent") == ["kept"]
