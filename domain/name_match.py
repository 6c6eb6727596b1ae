"""Folding and fuzzy comparison of people's names, for possible (never automatic) target matches."""

from anyascii import anyascii
from rapidfuzz import fuzz

# A score of at least this is a *possible* match for a human to review, never a notification.
# token_sort_ratio on folded names (word order ignored), measured:
#   "Jose Luis Garcia" vs "José L. García"  89.7  (abbreviated middle name)
#   "Mohammed Ali"     vs "Muhammad Ali"    83.3  (transliteration variant)
#   "Jose Luis Garcia" vs "Jose Garcia"     81.5  (dropped middle name)
#   "Juan Perez"       vs "Pedro Perez"     57.1  (another person sharing a surname)
#   "Jose Luis Garcia" vs "Maria Lopez"     29.6  (unrelated)
# A missed match leaves two agencies unknowingly on one target, which deconfliction exists to
# prevent; a false one costs a reviewer a glance. So the line sits low enough to keep the
# variants above and high enough to drop a shared surname alone. Its known gap: a dropped
# second surname ("Maria Lopez" vs "Maria Lopez Garcia", 75.9) falls below.
POSSIBLE_MATCH_THRESHOLD = 80.0


def fold_name(text: str) -> str:
    """A name as compared: transliterated to ASCII, upper-cased, spaces collapsed.

    Apostrophes and dots vary between sources ("O'Brien", "J. Smith"), so they are dropped;
    hyphens stay because they join double-barrelled names.
    """
    kept = (c if c.isalnum() or c == "-" else " " if c.isspace() else "" for c in anyascii(text).upper())
    return " ".join("".join(kept).split())


def name_similarity(a: str, b: str) -> float:
    """How alike two names are once folded, from 0 to 100, whatever the order of their words."""
    left, right = fold_name(a), fold_name(b)
    if not left or not right:
        return 0.0
    return fuzz.token_sort_ratio(left, right)
