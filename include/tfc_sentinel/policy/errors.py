"""Errors of the policy layer: configuration files, policy discovery and engine backends.

Messages name the file (and line, when known) and say what to do, because they are read in CI logs and
Airflow task logs by people who did not write the policy set.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "BackendError",
    "BackendOutputError",
    "BackendTimeoutError",
    "BinaryNotFoundError",
    "ConfigError",
    "ConfigSyntaxError",
    "DiscoveryError",
    "PolicyError",
    "UnsupportedConfigError",
]


class PolicyError(Exception):
    """Base class of the policy layer's errors."""


class ConfigError(PolicyError):
    """A ``sentinel.hcl`` or test case file cannot be used; ``file``/``line``/``column`` locate the problem."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        detail: str = "",
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.column = column
        self.detail = detail
        super().__init__(message)

    @property
    def where(self) -> str:
        """``file:line:column`` as far as known (empty when nothing is)."""
        parts = [part for part in (self.file, self.line, self.column) if part is not None]
        if self.file is None:
            return ""
        return ":".join(str(part) for part in parts)

    def __str__(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return f"{head}\n{self.detail}" if self.detail else head

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.message, self.file, self.line, self.column, self.detail))


def _rebuild(
    cls: type[ConfigError], message: str, file: str | None, line: int | None, column: int | None, detail: str
) -> ConfigError:
    """Unpickle with keyword-only arguments (results cross process boundaries in parallel runs)."""
    return cls(message, file=file, line=line, column=column, detail=detail)


class ConfigSyntaxError(ConfigError):
    """The file is not valid HCL or JSON."""


class UnsupportedConfigError(ConfigError):
    """Valid configuration this offline engine cannot honour: remote sources, import plugins, templates."""


class DiscoveryError(PolicyError):
    """A path given to ``test`` does not exist or is not a policy or a folder of policies."""


class BackendError(PolicyError):
    """An engine backend could not produce results."""


class BinaryNotFoundError(BackendError):
    """No ``sentinel`` executable where one was expected."""


class BackendTimeoutError(BackendError):
    """The ``sentinel`` process did not finish in time; it was killed. Partial output is kept."""

    def __init__(self, message: str, stdout: str = "", stderr: str = "") -> None:
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


class BackendOutputError(BackendError):
    """The ``sentinel`` process printed something that is not the documented output."""
