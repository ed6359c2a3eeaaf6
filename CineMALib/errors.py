"""Errors a user can act on: each names the file and the problem, never a deep library traceback."""

from __future__ import annotations

from os import PathLike


class CineMAError(Exception):
    """Base class of every error CineMA reports to a user."""


class CineMAInputError(CineMAError, ValueError):
    """An input study (file, folder, header, voxels) cannot be used; the message names the path and the problem."""

    def __init__(self, path: str | PathLike[str] | None, problem: str) -> None:
        self.path = None if path is None else str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class CineMAWeightsError(CineMAError, RuntimeError):
    """Model weights are missing, corrupt, or do not fit the architecture; the message says what to do."""
