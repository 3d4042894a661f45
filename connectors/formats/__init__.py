"""Readers of the five department export formats (`docs/departments.md`), pure Python, no Kafka.

Used by the file connector, ``hub resolve`` and the HTTP ingest:

- `detect_source(path)`: the department of a file, from its name prefix and extension;
- `read_file(path, source=None, start_offset=0)`: streamed `ParsedRow`s, each holding a typed record
  (`hub.contract.records`) or a `BadRecordError`, its raw bytes, line and byte offsets;
- `parse_row(source, fields)`: one row as a mapping of the department's column names (or tax JSON keys)
  to values, mapped to its typed record; what the HTTP ingest reuses for JSON pushes.
"""

from __future__ import annotations

import logging

from hub.runtime.compiled import extend_package_path

# The mypyc build of these modules, when it matches them; it must be on the path before they import.
extend_package_path(__path__, "connectors/formats")

from .dialects import DIALECTS, detect_source, parse_row  # noqa: E402
from .errors import ResumeOffsetError, UnknownSourceError  # noqa: E402
from .lines import MAX_ROW_BYTES  # noqa: E402
from .reader import read_file  # noqa: E402
from .rows import ParsedRow  # noqa: E402

__all__ = [
    "DIALECTS",
    "MAX_ROW_BYTES",
    "ParsedRow",
    "ResumeOffsetError",
    "UnknownSourceError",
    "detect_source",
    "parse_row",
    "read_file",
]

logger = logging.getLogger(__name__)
