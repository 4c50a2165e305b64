"""Structured logging: one JSON object per line (or plain text), with request context fields.

No code logs credentials on purpose; as a second line of defence both formatters redact what
looks like one wherever it appears (messages, extra fields, tracebacks): bearer tokens, values of
``password``/``token``/``authorization``-like keys, and passwords inside URLs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {
        "password",
        "passwd",
        "new_password",
        "current_password",
        "token",
        "access_token",
        "authorization",
        "secret",
        "api_key",
        "cookie",
    }
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/=]{8,}")
_KEY_VALUE = re.compile(
    r"""(?ix)
    (["']?\b(?:[a-z_]*password|passwd|token|access_token|authorization|secret|api_key)\b["']?
     \s*[:=]\s*)
    (?!bearer\s|\[redacted\])  # a bearer token is redacted on its own, keeping its scheme
    ("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&}\]]+)"""
)
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@")


def redact(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    if not text:
        return text
    text = _BEARER.sub(r"\1 " + REDACTED, text)
    text = _KEY_VALUE.sub(lambda match: match.group(1) + REDACTED, text)
    return _URL_PASSWORD.sub(r"\1" + REDACTED + "@", text)


def _redact_value(key: str, value: Any) -> Any:
    if key.lower() in SECRET_KEYS and value is not None:
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value("", item) for item in value]
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key != "color_message":
                entry[key] = _redact_value(key, value)
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=lambda value: redact(str(value)))


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO", fmt: str = "json", stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("pika", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
