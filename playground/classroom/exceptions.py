"""Refusals of the classroom's domain functions (playground/errors.py has the base class)."""

from __future__ import annotations

from playground.errors import PlaygroundError


class JoinRefused(PlaygroundError):
    code = "JoinRefused"


class ImportProblem(PlaygroundError):
    """A CSV import that cannot be done; nothing was created."""

    code = "InvalidCsv"
