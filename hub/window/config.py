"""The service window's settings: `HubSettings.window` (`HUB_WINDOW__*`, the model is in hub/settings.py)."""

from __future__ import annotations

from hub.settings import HubSettings, WindowSettings

__all__ = ["WindowSettings", "window_settings"]


def window_settings(settings: HubSettings) -> WindowSettings:
    """The window's part of the hub's settings."""
    return settings.window
