"""Reply texts per language, kept in data files (``lang/<language>.yaml``), not in code.

A reply is a template with named fields: ``added: "Added {items}."``. A key may hold a list of
variants; the first is used, the others are there for a translator or a future "vary replies" setting.
"""

from __future__ import annotations

from functools import cache

import yaml

from voiceshop.errors import VoiceshopError
from voiceshop.language import folder as language_folder


class Replies:
    def __init__(self, language: str, texts: dict[str, str]) -> None:
        self.language = language
        self.texts = texts

    @classmethod
    def from_yaml(cls, language: str, text: str) -> Replies:
        data = yaml.safe_load(text)
        if not isinstance(data, dict):
            raise VoiceshopError(f"the {language} reply file must map reply names to texts")
        texts: dict[str, str] = {}
        for key, value in data.items():
            if isinstance(value, list) and value:
                value = value[0]
            if not isinstance(value, str):
                raise VoiceshopError(f"reply {key!r} in the {language} reply file must be a text")
            texts[str(key)] = value
        return cls(language, texts)

    def has(self, key: str) -> bool:
        return key in self.texts

    def __call__(self, key: str, **fields: object) -> str:
        try:
            template = self.texts[key]
        except KeyError:
            raise VoiceshopError(f"the {self.language} reply file has no {key!r}; add it") from None
        return template.format(**fields).strip()


@cache
def replies_for(language: str) -> Replies:
    """The packaged reply texts for a language ("en", or the language part of a locale "en-US")."""
    lang = language.split("-")[0].lower()
    try:
        text = (language_folder(lang) / "replies.yaml").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise VoiceshopError(f"voiceshop has no replies in {lang!r}; English is available (locale en-US)") from None
    return Replies.from_yaml(lang, text)
