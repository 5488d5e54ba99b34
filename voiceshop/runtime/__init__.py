"""The runtime: the only place stages are wired together (understanding, dialog, store; later audio)."""

from voiceshop.runtime.assistant import Assistant

__all__ = ["Assistant"]
