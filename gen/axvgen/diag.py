"""Diagnostics in compiler form: file:line:col: error: message."""
import re


def describe(value):
    """What a YAML value is, for messages: 'an integer', 'a list'..."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a fractional number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bytes):
        return "binary data"
    if hasattr(value, "isoformat"):
        return "a date"
    return f"a {type(value).__name__}"


def show(value):
    """A value as quoted in a message: on one line, and not too long."""
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: repr(m.group())[1:-1], str(value))
    return text if len(text) <= 60 else text[:57] + "..."


# YAML 1.1 reads these unquoted words as booleans.
BOOL_HINT = "quote it: YAML reads yes, no, on, off, true and false as booleans"


def plural(n, one, many):
    return f"{n} {one if n == 1 else many}"


class Loc:
    """A position in a spec file, 1-based like a compiler's."""

    __slots__ = ("file", "line", "col")

    def __init__(self, file, line, col):
        self.file, self.line, self.col = file, line, col

    def __str__(self):
        return f"{self.file}:{self.line}:{self.col}"


class SpecError(Exception):
    """One defect in a spec, with where it is and what it belongs to."""

    def __init__(self, loc, message, context=None):
        super().__init__(message)
        self.loc, self.message, self.context = loc, message, context

    def render(self):
        where = str(self.loc) if self.loc else "<spec>"
        ctx = f"{self.context}: " if self.context else ""
        return f"{where}: error: {ctx}{self.message}"


class Collector:
    """Gathers several errors so one run reports all it can, in file order."""

    def __init__(self):
        self.errors = []

    def error(self, loc, message, context=None):
        self.errors.append(SpecError(loc, message, context))

    def raise_if_any(self):
        if self.errors:
            raise SpecErrors(self.errors)


class SpecErrors(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = sorted(
            errors, key=lambda e: (e.loc.file, e.loc.line, e.loc.col) if e.loc else ("", 0, 0))
