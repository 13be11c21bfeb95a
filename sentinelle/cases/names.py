"""Malian personal names: normalisation, phonetic keys built for Malian spelling variants, similarity.

The same person is written "Mamadou Diallo" on one form and "Mahamadou Dialo" on another, "Fatoumata
Traoré" and "Fatumata Tarawele", "Oumou Coulibaly" and "Umu Kulibali": French, English and Bambara
transcriptions of the same sounds. `token_key` reduces a name token to a phonetic key on which these
variants agree (rules below, then a short table of known variant families the rules cannot reach).
`name_keys` gives the blocking keys stored (as keyed hashes) in PersonNameKey / TracingNameKey, and
`name_similarity` scores two names, order-insensitive and token-set aware, so that a shared given name
with a different family name ("Aminata Traoré" / "Aminata Touré") stays below the duplicate threshold.

Standard library only: the strings are short and only a few dozen candidates are ever scored.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import combinations, pairwise

from sentinelle.core.text import strip_accents

# A name pair at or above this similarity is a probable duplicate (measured on the labelled set in
# tests/data/name_pairs.csv: see test_dedup_quality.py).
DUPLICATE_THRESHOLD = 0.88
# Similarity of a known diminutive and its full name (Fanta / Fatoumata): likely, not certain.
NICKNAME_SIMILARITY = 0.9
# The spelling compared as written counts slightly less than the phonetic keys (see token_similarity).
RAW_SPELLING_DISCOUNT = 0.02

_VOWELS = frozenset("aeiou")
_APOSTROPHES = re.compile(r"['’`ʼ]")
_NOT_LETTERS = re.compile(r"[^a-z]+")
_DOUBLES = re.compile(r"([a-z])\1+")

# Linking words of Tuareg and Arabic names ("Issa Ag Mohamed", "Fatimata Walet Alhousseini"): they
# carry no identity of their own, so they neither match nor count as a missing token.
PARTICLES = frozenset({"ag", "ould", "walet", "welet", "oulet", "mint", "ben", "bin", "ibn"})

# Ordered rewriting rules on an accent-free, lower-case token. Each line says why.
_RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"x"), "ks"),  # Alexis -> aleksis (x is reused below for the "sh" sound)
    (re.compile(r"[cs]h"), "x"),  # Cheick / Sheikh: one "sh" sound
    (re.compile(r"kh"), "k"),  # Mokhtar / Moctar
    (re.compile(r"gh"), "g"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"th"), "t"),
    (re.compile(r"dj"), "j"),  # Djénéba / Jeneba, Djarra / Jarra
    (re.compile(r"c[kq]|qu|q"), "k"),
    (re.compile(r"c(?=[eiy])"), "s"),  # Cissé / Sissé
    (re.compile(r"c"), "k"),  # Coulibaly / Kulibali, Moctar
    (re.compile(r"gu(?=[eiy])"), "g"),  # Guindo / Gindo
    (re.compile(r"ou"), "u"),  # French "ou" is the "u" of English and Bambara spellings
    (re.compile(r"w"), "u"),  # Dawuda / Daouda, Tarawele
    (re.compile(r"y"), "i"),  # Seydou / Seidou, Coulibaly, Rokiya
    (re.compile(r"h"), ""),  # Mahamadou / Mamadou, Hawa / Awa, Bah / Ba
    (re.compile(r"di(?=[aeiou])"), "j"),  # Diallo / Jallo, Diarra / Jarra, Diakité / Jakite
    (re.compile(r"[ae]i(?=[^aeiou])"), "e"),  # Souleymane / Sulayman, Keïta, Maïga (not "Abdoulaye")
    (re.compile(r"n(?=[bp])"), "m"),  # Denbele / Dembélé
]

# Variant families the rules do not join (first spelling = the canonical one): different transcriptions
# of one name, as civil registries and registration forms in Mali write them.
ALIAS_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("traore", "tarawele", "tarawelé", "tarawere", "traouré", "taraore"),
    ("mohamed", "mohammed", "mouhamed", "muhammad", "mohamad", "mahamed", "mahamat"),
    ("boubacar", "aboubacar", "aboubakar", "abubakar", "boubakar", "abou bakr"),
    ("ibrahim", "ibrahima", "brahima", "brehima", "birama", "brahim", "ibrahime"),
    ("souleymane", "souleimane", "sulayman", "suleiman", "souleyman", "soulemane", "sulaiman"),
    ("ousmane", "usman", "ousman", "osmane", "othmane", "usmane"),
    ("oumar", "omar", "umar", "omer"),
    ("kadidiatou", "kadiatou", "kadidia", "khadija", "kadidja", "khadidja", "kadiatu"),
    ("amadou", "hamadoun", "amadoun", "ahmadou"),
    ("youssouf", "youssef", "yusuf", "yousouf", "youcef"),
    ("lassana", "lassina", "lasine"),
    ("rokia", "rokiatou", "rokiya", "roukiatou"),
    ("alassane", "alhassane", "alasan"),
    ("aissata", "aissatou", "assata"),
)

# Diminutives used as given names for the full name (token similarity NICKNAME_SIMILARITY).
NICKNAMES: dict[str, str] = {"fanta": "fatoumata", "kadia": "kadidiatou", "kadi": "kadidiatou"}


def normalise(value: str | None) -> str:
    """Case, accents, apostrophes and punctuation do not matter: "N'Diaye-Touré" -> "ndiaye toure"."""
    if not value:
        return ""
    text = _APOSTROPHES.sub("", strip_accents(value).casefold())
    return " ".join(_NOT_LETTERS.sub(" ", text).split())


def tokens(value: str | None) -> list[str]:
    """The name's tokens, linking particles left out."""
    return [token for token in normalise(value).split() if token not in PARTICLES]


def _rule_key(token: str) -> str:
    key = _DOUBLES.sub(r"\1", token)  # Diallo / Dialo before the rules see it
    for pattern, replacement in _RULES:
        key = pattern.sub(replacement, key)
    key = _DOUBLES.sub(r"\1", key)  # Mahamadou -> maamadu -> mamadu
    # A final vowel is the least stable sound (Aminata / Aminatou, Mariam / Mariama, Touré / Toure);
    # very short names keep it, or "Sy" and "Sow" would collapse.
    if len(key) >= 4 and key[-1] in _VOWELS:
        key = key[:-1]
    return key


def _build_aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for family in ALIAS_FAMILIES:
        canonical = _rule_key(normalise(family[0]).replace(" ", ""))
        for spelling in family:
            key = _rule_key(normalise(spelling).replace(" ", ""))
            if aliases.setdefault(key, canonical) != canonical:
                raise ValueError(f"Name variant {spelling!r} belongs to two alias families.")
    return aliases


ALIASES = _build_aliases()


@lru_cache(maxsize=4096)
def token_key(token: str) -> str:
    """The phonetic key of one normalised token: equal for the spelling variants of a Malian name."""
    key = _rule_key(token)
    return ALIASES.get(key, key)


_NICKNAME_KEYS: dict[str, str] = {token_key(short): token_key(full) for short, full in NICKNAMES.items()}


def nickname_key(key: str) -> str:
    """The key of the full name a diminutive stands for (Fanta -> the key of Fatoumata)."""
    return _NICKNAME_KEYS.get(key, key)


def skeleton(key: str) -> str:
    """Consonant skeleton (first letter kept): a looser blocking key that survives vowel typos."""
    return key[:1] + "".join(ch for ch in key[1:] if ch not in _VOWELS)


def name_keys(*names: str) -> set[str]:
    """Blocking keys of a person's names, before hashing.

    "t:" one per token (and per diminutive's full name, and per two adjacent tokens written together,
    so that "Abdoul Karim" and "Abdoulkarim" meet), "s:" consonant skeletons of at least three letters,
    "p:" one per unordered pair of token keys: the selective key of a full-name match.
    """
    token_keys: set[str] = set()
    for name in names:
        parts = tokens(name)
        for part in parts:
            key = token_key(part)
            token_keys.add(key)
            token_keys.add(nickname_key(key))
        for left, right in pairwise(parts):
            token_keys.add(token_key(left + right))
    token_keys.discard("")
    keys = {f"t:{key}" for key in token_keys}
    keys |= {f"s:{skeleton(key)}" for key in token_keys if len(skeleton(key)) >= 3}
    keys |= {f"p:{a}|{b}" for a, b in combinations(sorted(token_keys), 2)}
    return keys


def hashed_name_keys(*names: str) -> set[str]:
    """The blocking keys as stored: keyed hashes, so the index says nothing without the hash key."""
    from sentinelle.core.crypto import keyed_hash

    return {keyed_hash(key) for key in name_keys(*names)}


# --- String distances ---------------------------------------------------------------------------


def jaro_winkler(a: str, b: str, *, prefix_scale: float = 0.1) -> float:
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    window = max(max(len(a), len(b)) // 2 - 1, 0)
    matched_b = [False] * len(b)
    matches_a = []
    for i, ch in enumerate(a):
        for j in range(max(0, i - window), min(len(b), i + window + 1)):
            if not matched_b[j] and b[j] == ch:
                matched_b[j] = True
                matches_a.append(ch)
                break
    m = len(matches_a)
    if m == 0:
        return 0.0
    matches_b = [b[j] for j in range(len(b)) if matched_b[j]]
    transpositions = sum(x != y for x, y in zip(matches_a, matches_b, strict=True)) / 2
    jaro = (m / len(a) + m / len(b) + (m - transpositions) / m) / 3
    prefix = 0
    for x, y in zip(a[:4], b[:4], strict=False):
        if x != y:
            break
        prefix += 1
    return jaro + prefix * prefix_scale * (1 - jaro)


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: edits, with a swap of two neighbours counting as one."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


# --- Similarity ---------------------------------------------------------------------------------


def _string_similarity(a: str, b: str) -> float:
    """Jaro-Winkler (rewards a shared start) averaged with the edit distance (one wrong letter in a short
    name weighs more than in a long one)."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    edits = 1 - osa_distance(a, b) / max(len(a), len(b))
    return 0.5 * jaro_winkler(a, b) + 0.5 * edits


@lru_cache(maxsize=16384)
def token_similarity(a: str, b: str) -> float:
    """Similarity of two normalised tokens in [0, 1].

    On their phonetic keys first (spelling variants score 1.0); a typo can move the key more than the
    spelling ("Dillo" for "Diallo" loses the "dia" -> "j" rule), so the spelling itself is compared
    too, slightly discounted so that phonetic agreement wins a tie.
    """
    if a == b:
        return 1.0
    key_a, key_b = token_key(a), token_key(b)
    if key_a == key_b:
        return 1.0
    if nickname_key(key_a) == nickname_key(key_b):
        return NICKNAME_SIMILARITY
    return max(_string_similarity(key_a, key_b), _string_similarity(a, b) - RAW_SPELLING_DISCOUNT)


def _aligned_score(parts_a: list[str], parts_b: list[str]) -> float:
    """Greedy best pairing of tokens; the weakest pair weighs as much as the average, so that one
    different family name is not hidden by an identical given name; unpaired tokens cost a little."""
    pairs = sorted(
        ((token_similarity(x, y), i, j) for i, x in enumerate(parts_a) for j, y in enumerate(parts_b)),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    sims: list[float] = []
    for sim, i, j in pairs:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        sims.append(sim)
    longest = max(len(parts_a), len(parts_b))
    extra = longest - len(sims)
    score = 0.5 * (sum(sims) / len(sims)) + 0.5 * min(sims)
    return max(0.0, score - 0.3 * extra / longest)


def _joined_variants(parts: list[str]) -> list[list[str]]:
    """The token list with each pair of neighbours written as one ("Sidi Mohamed" / "Sidimohamed")."""
    return [[*parts[:i], parts[i] + parts[i + 1], *parts[i + 2 :]] for i in range(len(parts) - 1)]


def name_similarity(a: str | list[str], b: str | list[str]) -> float:
    """Similarity of two full names in [0, 1], whatever the order of their tokens."""
    parts_a = tokens(a) if isinstance(a, str) else [t for p in a for t in tokens(p)]
    parts_b = tokens(b) if isinstance(b, str) else [t for p in b for t in tokens(p)]
    if not parts_a or not parts_b:
        return 0.0
    best = _aligned_score(parts_a, parts_b)
    if best < 1.0 and len(parts_a) != len(parts_b):
        longer, shorter = (parts_a, parts_b) if len(parts_a) > len(parts_b) else (parts_b, parts_a)
        for joined in _joined_variants(longer):
            best = max(best, _aligned_score(joined, shorter))
    return round(best, 4)


def full_names(given_name: str, family_name: str, other_names: str = "") -> list[str]:
    """The full names a person is known by, to compare with name_similarity: the given name, then the
    other names (a nickname), each before the family name."""
    names = [f"{given_name} {family_name}".strip()]
    if other_names:
        names.append(f"{other_names} {family_name}".strip())
    return names
