"""File-level errors of the format readers: problems with a whole file or a resume point, not with one row.

Row-level problems are `hub.contract.errors.BadRecordError`, carried in a `ParsedRow` rather than raised, so that one
bad row never stops a file.
"""

from __future__ import annotations

import logging

from hub.contract.errors import HubError

__all__ = ["ResumeOffsetError", "UnknownSourceError"]

logger = logging.getLogger(__name__)


class UnknownSourceError(HubError):
    """A file name does not tell which department wrote it (no known prefix and extension)."""


class ResumeOffsetError(HubError):
    """A resume offset is not the start of a row of the file (past its end, or not after a newline)."""
