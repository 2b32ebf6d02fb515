"""The web face's request error: one field, one reason, answered as 422 naming the field."""

from __future__ import annotations

from .. import OncoimmuneError

__all__ = ["FieldError"]


class FieldError(OncoimmuneError, ValueError):
    """A request that cannot be served; ``field`` names the request field and ``reason`` says why."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
