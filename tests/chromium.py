"""Debian's Chromium driven by playwright, with the flags this machine's closed network needs (no
first-run, no background fetches, no QUIC): shared by the browser tests and scripts/screenshot.py.
Nothing is downloaded; without a Chromium binary ``CHROMIUM`` is None."""

from __future__ import annotations

import shutil

from playwright.sync_api import Browser, Playwright

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright) -> Browser:
    """Headless Chromium (``CHROMIUM`` must not be None)."""
    assert CHROMIUM is not None
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
