"""Source positions and the syntax error type.

Nodes and tokens store only a character offset (one int) to stay small; :class:`Source` turns an
offset into line and column on demand, which only errors and traces need.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

_NEWLINE = re.compile(r"\n")


class Position(NamedTuple):
    """A resolved location: 1-based line and column (columns count characters, not bytes)."""

    filename: str
    offset: int
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.column}"


class Source:
    """The text of one file plus a lazily built line index for offset → line/column lookups."""

    __slots__ = ("_line_starts", "filename", "text")

    def __init__(self, text: str, filename: str = "<input>") -> None:
        self.text = text
        self.filename = filename
        self._line_starts: list[int] | None = None

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(self.text))]
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset (clamped to the text)."""
        offset = max(0, min(offset, len(self.text)))
        starts = self._starts()
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def position(self, offset: int) -> Position:
        line, column = self.line_col(offset)
        return Position(self.filename, offset, line, column)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line without its line break."""
        starts = self._starts()
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r")


class SentinelSyntaxError(Exception):
    """A scanning or parsing error with its position; ``str()`` shows the line and a caret.

    Parsing stops at the first error: the parser is for running policies, not for an editor that
    wants every problem at once.
    """

    def __init__(
        self,
        message: str,
        filename: str = "<input>",
        line: int = 1,
        column: int = 1,
        offset: int = 0,
        source_line: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.offset = offset
        self.source_line = source_line

    @classmethod
    def at(cls, source: Source, offset: int, message: str) -> SentinelSyntaxError:
        """Build the error for an offset in ``source``."""
        line, column = source.line_col(offset)
        return cls(message, source.filename, line, column, offset, source.line_text(line))

    @property
    def position(self) -> Position:
        return Position(self.filename, self.offset, self.line, self.column)

    def __str__(self) -> str:
        head = f"{self.filename}:{self.line}:{self.column}: {self.message}"
        text = self.source_line
        if len(text) > 200:  # keep one-line mock files readable: show a window around the column
            start = max(0, self.column - 100)
            text, col = text[start : start + 200], self.column - start
        else:
            col = self.column
        # Keep tabs in the caret line so the caret lines up under tab-indented code.
        pad = "".join(ch if ch == "\t" else " " for ch in text[: col - 1])
        return f"{head}\n{text}\n{pad}^"

    def __reduce__(self) -> tuple[object, ...]:
        return (
            type(self),
            (self.message, self.filename, self.line, self.column, self.offset, self.source_line),
        )
