"""Diagnostics in compiler form: file:line:col: error: message."""


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
