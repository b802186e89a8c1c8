"""Password rules of our own, beside Django's (length, common passwords, all digits, like the user name)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Words everyone who has seen the product can guess: its names and the demo's password. A password that
# contains one (any case, any punctuation around it) is refused.
FORBIDDEN_WORDS = ("keyprojects", "keyproject", "keyprojectsdemo", "重点项目")


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


class ForbiddenWordsValidator:
    """Refuses a password built on the product's name."""

    def __init__(self, words: tuple[str, ...] = FORBIDDEN_WORDS) -> None:
        self.words = tuple(_letters(word) for word in words)

    def validate(self, password: str, user=None) -> None:
        if any(word and word in _letters(password) for word in self.words):
            raise ValidationError(
                _("This password contains the name of the product, which anyone can guess."),
                code="password_forbidden_word",
            )

    def get_help_text(self) -> str:
        return _("Your password can't contain the name of the product.")
