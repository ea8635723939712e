"""The one error type of the interface: it carries the HTTP status, which is also the error's code on the wire."""


class Open311Error(Exception):
    """A request the interface refuses: 400 bad input, 403 missing or bad key, 404 unknown, 429 too many."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = str(description)
