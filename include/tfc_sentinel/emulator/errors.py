"""Domain errors the store raises; ``jsonapi`` turns them into JSON:API error documents."""

from __future__ import annotations


class EmulatorError(Exception):
    """An HTTP-visible failure: status, a JSON:API title, optional detail and source."""

    status: int = 400
    title: str = "bad request"

    def __init__(
        self, detail: str | None = None, *, pointer: str | None = None, parameter: str | None = None
    ):
        super().__init__(detail or self.title)
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter


class NotFound(EmulatorError):
    """Missing, or not visible to the caller: Terraform Cloud answers both with 404, never 403."""

    status = 404
    title = "not found"


class Invalid(EmulatorError):
    """A well-formed request the resource's state or the body's content does not allow."""

    status = 422
    title = "invalid attribute"


class Unauthorized(EmulatorError):
    status = 401
    title = "unauthorized"


class Conflict(EmulatorError):
    """The resource's state forbids the change, e.g. a PATCH to a run-task result that is already final."""

    status = 409
    title = "conflict"


class UnsupportedMediaType(EmulatorError):
    status = 415
    title = "unsupported media type"


class BadSeed(ValueError):
    """A fixture or seed document that does not describe a consistent set of records."""
