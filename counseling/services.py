"""What the center offers: services, the languages they run in, and staff skills."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Service(StrEnum):
    """A counseling service a citizen can ask for."""

    @property
    def channel(self) -> str:
        """How the session runs: text only, or video with text beside it."""
        return "chat" if self is Service.CHAT else "video"

    SIGN_LANGUAGE = "sign_language"
    CHAT = "chat"
    FOREIGN_LANGUAGE = "foreign_language"


class Language(StrEnum):
    """A language a session runs in: Korean Sign Language or a spoken language."""

    KSL = "ksl"
    KO = "ko"
    EN = "en"
    ZH = "zh"
    JA = "ja"
    VI = "vi"
    MN = "mn"


LANGUAGES_BY_SERVICE: dict[Service, frozenset[Language]] = {
    Service.SIGN_LANGUAGE: frozenset({Language.KSL}),
    # Text chat for deaf and speech-impaired citizens, in written Korean.
    Service.CHAT: frozenset({Language.KO}),
    Service.FOREIGN_LANGUAGE: frozenset(
        {Language.EN, Language.ZH, Language.JA, Language.VI, Language.MN}
    ),
}


@dataclass(frozen=True, slots=True)
class Skill:
    """A service in one language: what a request needs and what staff can do."""

    service: Service
    language: Language

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES_BY_SERVICE[self.service]:
            raise ValueError(
                f"{self.service.value} is not offered in {self.language.value}"
            )

    @classmethod
    def for_request(cls, service: Service, language: Language | None) -> Skill:
        """The skill a request needs; sign language needs no language named."""
        if language is None:
            offered = LANGUAGES_BY_SERVICE[service]
            if len(offered) != 1:
                raise ValueError(f"{service.value} needs a language")
            (language,) = offered
        return cls(service, language)

    def __str__(self) -> str:
        return f"{self.service.value}/{self.language.value}"

    @classmethod
    def parse(cls, text: str) -> Skill:
        """Read a skill written as ``service/language``."""
        service, _, language = text.partition("/")
        try:
            return cls(Service(service), Language(language))
        except ValueError as exc:
            raise ValueError(f"not a skill: {text!r} ({exc})") from None
