"""The storage seam: one ``Database`` per process, transactions as ``Tx`` objects.

Services and repositories receive a ``Tx`` and use SQLAlchemy Core expressions or ``text()`` with
named parameters, which run unchanged on SQLite and PostgreSQL. Dialect-specific SQL (queue claims,
upserts) lives only in this package and in the queue backends, behind ``Tx.dialect``.

Contract:
- ``Database.transaction()`` yields a ``Tx``; leaving the block commits, an exception rolls back.
  Callbacks registered with ``Tx.after_commit`` run after a successful commit, in order.
- ``Tx.savepoint()`` isolates one piece of work inside a transaction (group commit, batched
  consumers): an exception inside it rolls back that piece only.
- ``Tx.pipelined()`` sends a group of writes in one round trip on PostgreSQL.
- Driver errors that mean "try again later" (SQLite busy/locked, PostgreSQL connection loss,
  serialization failures) are raised as ``errors.TemporaryError`` subclasses, so callers never
  import a driver.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from commerce_async.errors import InputError, ServiceUnavailable, TemporaryError
from commerce_async.settings import Settings


class DatabaseBusy(TemporaryError):
    """The database is locked or a transaction lost a race; the work can be retried."""


def _normalise_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (relative to the working directory), or None."""
    if not url.startswith("sqlite:///"):
        return None
    rest = url[len("sqlite:///") :]
    return Path(rest) if rest.startswith("/") else Path.cwd() / rest


def is_transient(error: BaseException) -> bool:
    """Whether a driver error means the same work may succeed if tried again."""
    if isinstance(error, TemporaryError):
        return True
    if isinstance(error, OperationalError):
        return True
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    # SQLAlchemy keeps the driver's exception in ``orig``; statements sent straight to the driver
    # (``raw_executemany``, ``driver_savepoint``) raise it bare.
    original = getattr(error, "orig", None) or error
    if _driver_operational_error(original):
        return True
    sqlstate = getattr(original, "sqlstate", None) or ""
    # 40001 serialization failure, 40P01 deadlock, 08xxx connection exceptions, 57P0x shutdown.
    return sqlstate.startswith(("40001", "40P01", "08", "57P0", "55P03"))


def _driver_operational_error(error: BaseException) -> bool:
    """A driver's own transient error: psycopg's ``OperationalError`` (connection lost, server
    shutting down), SQLite's locked or busy database (its other ``OperationalError``s, such as
    a missing table, are not transient)."""
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(error, psycopg.OperationalError):
        return True
    if isinstance(error, sqlite3.OperationalError):
        text = str(error)
        return "locked" in text or "busy" in text
    return False


def translate(error: BaseException) -> BaseException:
    """Turn a driver error into a domain error when it is transient; otherwise keep it."""
    if isinstance(error, TemporaryError):
        return error
    if is_transient(error):
        text = str(getattr(error, "orig", error)).strip().splitlines()[0]
        if "locked" in text or "busy" in text or "deadlock" in text:
            return DatabaseBusy("Database lock wait timeout exceeded")
        return ServiceUnavailable("Database connection error")
    return error


OUT_OF_RANGE = "A number in the request is out of the range the database can store."


def _out_of_range(error: BaseException) -> bool:
    """A number too big for a column is bad input, not a failure of the service: SQLite cannot
    even bind an int beyond 64 bits, PostgreSQL refuses it with SQLSTATE 22003."""
    original = getattr(error, "orig", error)
    return isinstance(original, OverflowError) or getattr(original, "sqlstate", None) == "22003"


class Tx:
    """One open transaction. Thin on purpose: repositories do the SQL."""

    __slots__ = ("_after_commit", "conn", "dialect")

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect: str = conn.dialect.name
        self._after_commit: list[Callable[[], None]] = []

    def execute(self, statement: Any, parameters: Any = None) -> sa.CursorResult[Any]:
        if isinstance(statement, str):
            statement = sa.text(statement)
        try:
            return self.conn.execute(statement, parameters)
        except (OverflowError, DBAPIError) as error:
            if _out_of_range(error):
                raise InputError(OUT_OF_RANGE) from error
            raise

    def scalar(self, statement: Any, parameters: Any = None) -> Any:
        return self.execute(statement, parameters).scalar()

    def first(self, statement: Any, parameters: Any = None) -> sa.Row[Any] | None:
        return self.execute(statement, parameters).first()

    def all(self, statement: Any, parameters: Any = None) -> list[sa.Row[Any]]:
        return list(self.execute(statement, parameters).all())

    def raw_executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """DBAPI ``executemany`` with positional ``?`` placeholders (rewritten for psycopg).

        For hot batch inserts only: no SQLAlchemy compilation per statement.
        """
        if not rows:
            return
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if self.dialect == "postgresql":
                sql = sql.replace("?", "%s")
            cursor.executemany(sql, rows)
        except OverflowError as error:
            raise InputError(OUT_OF_RANGE) from error
        finally:
            cursor.close()

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        nested = self.conn.begin_nested()
        try:
            yield
        except BaseException:
            nested.rollback()
            raise
        else:
            nested.commit()

    @contextlib.contextmanager
    def driver_savepoint(self) -> Iterator[None]:
        """A savepoint issued straight to the driver: the same isolation as ``savepoint`` at a
        fraction of its cost, for hot loops (one per operation in a consumer batch)."""
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("SAVEPOINT op")
        try:
            yield
        except BaseException:
            cursor.execute("ROLLBACK TO SAVEPOINT op")
            cursor.execute("RELEASE SAVEPOINT op")
            raise
        else:
            cursor.execute("RELEASE SAVEPOINT op")
        finally:
            cursor.close()

    @contextlib.contextmanager
    def pipelined(self) -> Iterator[None]:
        """Writes whose answers nobody waits for: on PostgreSQL they are sent in pipeline mode,
        one round trip for the group instead of one each, and an error is raised when the block
        ends (so keep checks that must fail early outside it). On SQLite, in-process, nothing
        to save: the block runs as it is."""
        if self.dialect != "postgresql":
            yield
            return
        with self.conn.connection.driver_connection.pipeline():  # type: ignore[union-attr]
            yield

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._after_commit.append(callback)


class Database:
    """The process's connection pool and transaction factory."""

    def __init__(self, settings: Settings, *, pool_size: int = 8) -> None:
        self.settings = settings
        self.url = settings.db_url
        self.is_sqlite = settings.is_sqlite
        self._lock = threading.Lock()
        self.engine = self._create_engine(pool_size)
        self.dialect: str = self.engine.dialect.name

    def _create_engine(self, pool_size: int) -> Engine:
        url = _normalise_url(self.url)
        if self.is_sqlite:
            path = sqlite_path(self.url)
            assert path is not None
            path.parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(
                f"sqlite:///{path}",
                connect_args={
                    "check_same_thread": False,
                    "timeout": self.settings.sqlite_busy_timeout,
                    "isolation_level": None,
                },
                pool_size=pool_size,
                max_overflow=32,
            )
            synchronous = self.settings.sqlite_synchronous.upper()
            busy_milliseconds = int(self.settings.sqlite_busy_timeout * 1000)
            cache_kib = self.settings.sqlite_cache_mib * 1024

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA synchronous={synchronous}")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={busy_milliseconds}")
                cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
                cursor.execute("PRAGMA temp_store=MEMORY")
                cursor.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn: Connection) -> None:
                # IMMEDIATE takes the write lock at BEGIN, so two writers never deadlock on a
                # lock upgrade; readers (plain BEGIN) are never blocked in WAL mode.
                if conn.info.get("read_only"):
                    conn.exec_driver_sql("BEGIN")
                else:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")

            return engine
        return sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=32,
            pool_pre_ping=True,
            pool_recycle=1800,
        )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A read-write transaction; commits on success, rolls back on error."""
        try:
            conn = self.engine.connect()
        except DBAPIError as error:
            raise translate(error) from error
        tx = Tx(conn)
        try:
            try:
                with conn.begin():
                    yield tx
            except DBAPIError as error:
                raise translate(error) from error
        finally:
            conn.close()
        for callback in tx._after_commit:
            callback()

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """A read-only unit of work: no write lock is taken on SQLite."""
        try:
            conn = self.engine.connect()
        except DBAPIError as error:
            raise translate(error) from error
        conn.info["read_only"] = True
        try:
            transaction = conn.begin()
            try:
                yield Tx(conn)
            finally:
                transaction.rollback()
        except DBAPIError as error:
            raise translate(error) from error
        finally:
            conn.info.pop("read_only", None)
            conn.close()

    def run(self, work: Callable[[Tx], Any]) -> Any:
        with self.transaction() as tx:
            return work(tx)

    def run_read(self, work: Callable[[Tx], Any]) -> Any:
        with self.read() as tx:
            return work(tx)

    def dispose(self) -> None:
        self.engine.dispose()


def default_database_file(settings: Settings) -> Path | None:
    return sqlite_path(settings.db_url)


def remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")
