"""citizen-hub: department records resolved into master citizen, address and organization records."""

from pathlib import Path

#: The repository root (hub/ lives directly under it); data folders are resolved from here.
REPO_ROOT = Path(__file__).resolve().parent.parent
