"""voiceshop: an offline voice-commerce assistant runtime."""

__version__ = "0.1.0"
