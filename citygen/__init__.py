"""Synthetic, messy city department exports with ground truth (`hub generate`)."""

from citygen.engine import generate

__all__ = ["generate"]
