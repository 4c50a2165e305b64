"""Baselines measured in the same run, on the same stack as the service (uvicorn + uvloop +
httptools, a plain ASGI callable, msgspec JSON), so every figure can be read as a ratio.

- ``hello``: reads the request body and answers ``{"hello":"world"}``: the cost of HTTP alone.
- ``insert``: reads the body and inserts one row into a SQLite WAL database with the given
  ``synchronous`` level, one commit per request, before answering: the cost of the simplest
  durable write. (It runs the insert on the event loop: the minimal endpoint, no group commit.)

Run: ``python -m bench.baseline_app hello --port 8001`` or
``python -m bench.baseline_app insert --port 8002 --db /tmp/b.sqlite3 --synchronous FULL``.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from typing import Any

import msgspec
import uvicorn

_encode = msgspec.json.encode
HEADERS = [(b"content-type", b"application/json; charset=utf-8")]


async def read_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def hello_app() -> Any:
    body = _encode({"hello": "world"})

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
        await send({"type": "http.response.body", "body": body})

    return app


def open_insert_database(path: str, synchronous: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA synchronous={synchronous}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS baseline_row ("
        "id INTEGER PRIMARY KEY, received_at REAL NOT NULL, body TEXT NOT NULL)"
    )
    return connection


def insert_app(path: str, synchronous: str) -> Any:
    connection = open_insert_database(path, synchronous)

    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        cursor = connection.execute(
            "INSERT INTO baseline_row (received_at, body) VALUES (?, ?)",
            (time.time(), body.decode("utf-8", "replace")),
        )
        answer = _encode({"id": cursor.lastrowid})
        await send({"type": "http.response.start", "status": 201, "headers": HEADERS})
        await send({"type": "http.response.body", "body": answer})

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("hello", "insert"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--db", help="SQLite file (insert only)")
    parser.add_argument("--synchronous", default="FULL")
    args = parser.parse_args(argv)
    if args.kind == "hello":
        app = hello_app()
    else:
        if not args.db:
            parser.error("insert needs --db")
        app = insert_app(args.db, args.synchronous.upper())
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
