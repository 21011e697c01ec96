"""The exception sel's errors raise."""

from __future__ import annotations

from typing import List, Optional


class SelError(Exception):
    """An error of sel: the workspace, a BUILD file, the query or a
    configuration is wrong.

    ``code`` is sel's stable diagnostic code (``"sel::no_match"``, listed in
    docs/errors.md) and ``kind`` the same without ``sel::``. Where the error
    points at a place, ``file`` is the file as sel shows it (relative to the
    workspace root; ``"<query>"`` for the query text, ``"<argument>"`` for a
    ``select`` value) and ``line`` and ``column`` are 1-based.
    """

    code: str
    kind: str
    message: str
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    help: Optional[str]
    notes: List[str]
    label: Optional[str]

    def __init__(
        self,
        code: str,
        message: str,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        help: Optional[str] = None,
        notes: Optional[List[str]] = None,
        label: Optional[str] = None,
    ) -> None:
        super().__init__(code, message, file, line, column, help, notes, label)
        self.code = code
        self.kind = code.split("::", 1)[-1]
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.help = help
        self.notes = list(notes or [])
        self.label = label

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f" ({self.file}"
            if self.line is not None:
                where += f":{self.line}:{self.column}"
            where += ")"
        return f"{self.code}: {self.message}{where}"
