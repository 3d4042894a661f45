"""Synthetic, messy city department exports with ground truth (`hub generate`)."""

from connectors.generator.engine import generate

__all__ = ["generate"]
