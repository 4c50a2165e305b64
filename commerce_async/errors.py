"""Domain exceptions carrying Magento message templates.

Services raise these; the web edge (``webapi.errors``) renders them as Magento's error envelope
``{"message": ..., "parameters": ...}`` with the matching HTTP status, and the consumer maps them to
operation statuses (``operations.outcome``). The message is the *raw template* with ``%name`` or
``%1`` placeholders left in, exactly as Magento sends it; ``parameters`` carries the substitutions.
"""

from __future__ import annotations

from typing import Any

Parameters = dict[str, Any] | list[Any] | None


class CommerceError(Exception):
    """Base of every error a service may raise on purpose.

    ``http_status`` is the status the web edge answers with; ``code`` is Magento's exception code
    (0 for nearly everything), recorded as an operation's ``error_code`` by the consumer.
    """

    http_status = 400
    code = 0

    def __init__(
        self,
        message: str,
        parameters: Parameters = None,
        *,
        errors: list[CommerceError] | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.parameters = parameters
        self.errors = errors or []
        if http_status is not None:
            self.http_status = http_status

    def rendered(self) -> str:
        """The message with its placeholders substituted (for logs and operation results)."""
        return render_message(self.message, self.parameters)

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.parameters is not None and self.parameters != {} and self.parameters != []:
            body["parameters"] = self.parameters
        if self.errors:
            body["errors"] = [error.to_body() for error in self.errors]
        return body


class InputError(CommerceError):
    """Magento ``InputException``: bad input, 400."""


class NotFound(CommerceError):
    """Magento ``NoSuchEntityException``: 404."""

    http_status = 404


class AuthenticationError(CommerceError):
    """Magento ``AuthenticationException``: 401."""

    http_status = 401


class AuthorizationError(CommerceError):
    """Magento ``AuthorizationException``: 401 (Magento answers 401, not 403)."""

    http_status = 401


class CouldNotSave(CommerceError):
    """Magento ``CouldNotSaveException`` / ``StateException`` / ``AlreadyExistsException``: 400."""


class CouldNotDelete(CommerceError):
    """Magento ``CouldNotDeleteException``: 400."""


class WebapiError(CommerceError):
    """Magento ``Webapi\\Exception``: already-rendered text with its own HTTP status."""


class TemporaryError(CommerceError):
    """A transient failure (database locked, connection lost). Consumers retry it (status 2)."""

    http_status = 503


class ServiceUnavailable(TemporaryError):
    """The storage or broker cannot be reached right now: 503 at the edge."""


NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."
ROUTE_NOT_FOUND = "Request does not match any route."
REQUIRED_FIELD = '"%fieldName" is required. Enter and try again.'
ONE_OR_MORE = "One or more input exceptions have occurred."
NOT_SUPPORTED_FIELD = '"%fieldName" is not supported. Correct the field name and try again.'


def not_authorized(resources: list[str] | tuple[str, ...]) -> AuthorizationError:
    return AuthorizationError(NOT_AUTHORIZED, {"resources": ", ".join(resources)})


def route_not_found() -> NotFound:
    return NotFound(ROUTE_NOT_FOUND)


def required_field(name: str) -> InputError:
    return InputError(REQUIRED_FIELD, {"fieldName": name})


def aggregate(errors: list[CommerceError]) -> CommerceError:
    """Magento's InputException semantics: one error stands alone, several are aggregated."""
    if len(errors) == 1:
        return errors[0]
    return InputError(ONE_OR_MORE, errors=errors)


def render_message(message: str, parameters: Parameters) -> str:
    """Substitute ``%name`` / ``%1`` placeholders the way Magento's Phrase renderer does."""
    if not parameters:
        return message
    if isinstance(parameters, list):
        items = [(str(index + 1), value) for index, value in enumerate(parameters)]
    else:
        items = list(parameters.items())
    # Longest names first so that %10 is not eaten by %1.
    for name, value in sorted(items, key=lambda item: -len(item[0])):
        message = message.replace(f"%{name}", "" if value is None else str(value))
    return message
