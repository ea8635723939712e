"""What the audit log needs to know about the request being served, without passing it everywhere."""

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_EMPTY = RequestContext()
# RequestContext is frozen, so sharing one empty instance as the default is safe.
_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("wangge_request", default=_EMPTY)  # noqa: B039


def current() -> RequestContext:
    """The context of the request being served (empty outside a request: commands, the worker)."""
    return _current.get()


def set_current(context: RequestContext) -> contextvars.Token:
    return _current.set(context)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)
