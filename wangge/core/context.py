"""What the audit log needs to know about the request being served, without passing it everywhere."""

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("wangge_request", default=RequestContext())


def current() -> RequestContext:
    """The context of the request being served (empty outside a request: commands, the worker)."""
    return _current.get()


def set_current(context: RequestContext) -> contextvars.Token:
    return _current.set(context)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)
