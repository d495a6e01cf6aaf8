"""The one sanitizer (engine/text.py): every character that can act on a terminal, or hide,
reorder or smuggle text, is made visible (#26, 6)."""

import sys
import unicodedata

from memtop.engine.text import shown


def test_every_unicode_format_character_is_made_visible():
    format_characters = [chr(c) for c in range(sys.maxunicode + 1)
                         if unicodedata.category(chr(c)) == "Cf"]
    assert len(format_characters) > 150  # soft hyphen, bidi, zero-width, tags, ...
    for char in format_characters:
        out = shown(f"a{char}b")
        assert char not in out and out.startswith("a\\") and out.endswith("b"), hex(ord(char))


def test_tag_characters_and_separators_cannot_smuggle_text():
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "rm -rf")  # invisible "ASCII smuggling"
    out = shown(f"ok{hidden}\u2028\u2029\u00ad")
    assert out.isascii() and "\\U000e0072" in out and "\\u2028" in out and "\\xad" in out


def test_ordinary_text_is_unchanged():
    for text in ("epoch ×3", "Größe 1,5 GiB", "日本語", "naïve café", "fit/epoch#2/evaluate"):
        assert shown(text) == text
