"""Speech models: the manifest of known models, downloading, installing and verifying them.

manifest   which models exist (URL, size, SHA-256, or the Python package that ships one)
download   resumable, checked download of an archive
store      the models folder: status, safe unpack, atomic install, verify, remove
"""

from voiceshop.models.manifest import Manifest, ModelEntry, manifest
from voiceshop.models.store import ModelStore, default_models_dir

__all__ = ["Manifest", "ModelEntry", "ModelStore", "default_models_dir", "manifest"]
