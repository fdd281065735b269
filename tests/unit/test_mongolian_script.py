"""scripts/mongolian_script.py: the classical transliteration becomes the traditional script letter
for letter, and everything that is not Mongolian stays as it was."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "mongolian_script.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mongolian_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


to_script = load().to_script


@pytest.mark.parametrize(
    ("latin", "script"),
    [
        ("mongγol", "ᠮᠣᠩᠭᠣᠯ"),  # ng before a consonant is one letter
        ("angγi", "ᠠᠩᠭᠢ"),
        ("eregül mendü-yin ḳod", "ᠡᠷᠡᠭᠦᠯ ᠮᠡᠨᠳᠦ\u202fᠶᠢᠨ ᠺᠣᠳ"),  # a suffix after a narrow no-break space
        ("bayin_a.", "ᠪᠠᠶᠢᠨ\u180eᠠ᠃"),  # a detached final vowel; the Mongolian full stop
        ("d'uγar", "ᠳ\u180bᠤᠭᠠᠷ"),  # the second form of a letter
        ("{n}-eče {high} °C, QR", "{n}\u202fᠡᠴᠡ {high} °C᠂ QR"),  # placeholders, units and codes stay
        ("0471-4607155, 36.5, A4-ün", "0471-4607155᠂ 36.5᠂ A4\u202fᠦᠨ"),
        ("`.xlsx` 阿卜杜·热合曼", ".xlsx 阿卜杜·热合曼"),
    ],
)
def test_transliteration_to_script(latin: str, script: str) -> None:
    assert to_script(latin) == script


def test_a_letter_outside_the_transliteration_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot read"):
        to_script("kücün vě")
