import json

import pytest

from sentinelle.cases import names
from sentinelle.cases.names import (
    ALIAS_FAMILIES,
    hashed_name_keys,
    jaro_winkler,
    name_keys,
    name_similarity,
    normalise,
    osa_distance,
    token_key,
    tokens,
)

# The variants of the issue and of the brief: each group must share one key.
SAME_KEY = [
    ("Mamadou", "Mahamadou", "Mamadu"),
    ("Diallo", "Dialo", "Jallo", "Djallo"),
    ("Traoré", "Traore", "Tarawele"),
    ("Touré", "Toure", "Ture"),
    ("Coulibaly", "Kulibali", "Koulibaly"),
    ("Ousmane", "Usman", "Ousman"),
    ("Keïta", "Keita", "Kéita"),
    ("Maïga", "Maiga"),
    ("Cissé", "Sissé", "Cisse"),
    ("Sidibé", "Sidibe"),
    ("Konaté", "Konate"),
    ("Diarra", "Jarra", "Djarra"),
    ("Kouyaté", "Kuyate", "Kouyate"),
    ("Dembélé", "Dembele", "Denbele"),
    ("Fatoumata", "Fatumata"),
    ("Aminata", "Aminatou"),
    ("Oumou", "Umu"),
    ("Hawa", "Awa"),
    ("Boubacar", "Bubakar", "Aboubacar"),
    ("Seydou", "Seidou"),
    ("Moussa", "Musa"),
    ("Ibrahim", "Brahima", "Ibrahima"),
    ("Souleymane", "Sulayman", "Souleimane"),
    ("Mariam", "Mariama", "Maryam"),
    ("Djénéba", "Jeneba", "Dieneba"),
    ("Cheick", "Cheikh", "Sheikh"),
    ("Moctar", "Mokhtar"),
    ("Ba", "Bâ", "Bah"),
    ("Oumar", "Omar"),
]

DIFFERENT_KEY = [
    ("Traoré", "Touré"),
    ("Diarra", "Diallo"),
    ("Sy", "Sow"),
    ("Abdoulaye", "Abdoul"),
    ("Cheick", "Sékou"),
    ("Oumar", "Oumou"),
    ("Issa", "Aïssa"),
    ("Koné", "Kané"),
    ("Amadou", "Mamadou"),
    ("Mohamed", "Mamadou"),
    ("Fatoumata", "Fanta"),  # a diminutive: similar (0.9), not the same key
]


def test_normalise_and_tokens():
    assert normalise("  N'Diaye-TOURÉ ") == "ndiaye toure"
    assert normalise(None) == ""
    assert tokens("Issa Ag Mohamed") == ["issa", "mohamed"]
    assert tokens("Fatimata Walet Alhousseini") == ["fatimata", "alhousseini"]


@pytest.mark.parametrize("group", SAME_KEY, ids=lambda g: g[0])
def test_spelling_variants_share_a_key(group):
    keys = {token_key(normalise(spelling)) for spelling in group}
    assert len(keys) == 1, dict(zip(group, [token_key(normalise(s)) for s in group], strict=True))


@pytest.mark.parametrize("pair", DIFFERENT_KEY, ids=lambda p: "-".join(p))
def test_different_names_keep_different_keys(pair):
    first, second = (token_key(normalise(name)) for name in pair)
    assert first != second


def test_alias_families_do_not_overlap():
    """A spelling of one family must not fall on a key of another family (the table would merge them)."""
    owner = {}
    for family in ALIAS_FAMILIES:
        canonical = token_key(normalise(family[0]).replace(" ", ""))
        for spelling in family:
            key = names._rule_key(normalise(spelling).replace(" ", ""))
            assert owner.setdefault(key, canonical) == canonical, spelling
            assert token_key(normalise(spelling).replace(" ", "")) == canonical


def test_string_distances_on_textbook_values():
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.961, abs=0.001)
    assert jaro_winkler("dwayne", "duane") == pytest.approx(0.84, abs=0.001)
    assert jaro_winkler("dixon", "dicksonx") == pytest.approx(0.813, abs=0.001)
    assert jaro_winkler("", "abc") == 0.0 and jaro_winkler("abc", "abc") == 1.0
    assert osa_distance("kitten", "sitting") == 3
    assert osa_distance("traor", "troar") == 1  # a swap of neighbours is one edit
    assert osa_distance("", "abc") == 3


def test_name_similarity_is_symmetric_and_order_insensitive():
    assert name_similarity("Aminata Traoré", "Traore Aminata") == 1.0
    assert name_similarity("Mamadou Diallo", "Mahamadou Dialo") == 1.0
    for a, b in [("Aminata Traoré", "Aminata Touré"), ("Fatoumata Bintou Diarra", "Fatoumata Diarra")]:
        assert name_similarity(a, b) == name_similarity(b, a)
    assert name_similarity("Aminata Traoré", "Aminata Touré") < names.DUPLICATE_THRESHOLD
    assert name_similarity("Abdoul Karim Traoré", "Abdoulkarim Traore") == 1.0
    assert name_similarity("Fanta Keïta", "Fatoumata Keita") >= names.DUPLICATE_THRESHOLD
    assert name_similarity("", "Awa") == 0.0
    assert name_similarity(["Awa", "Touré"], "Hawa Ture") == 1.0


def test_blocking_keys_are_shared_by_variants_and_keyed():
    first = name_keys("Mamadou", "Diallo")
    second = name_keys("Mahamadou", "Jallo")
    assert "p:jal|mamad" in first & second
    assert {"t:mamad", "t:jal"} <= first & second
    assert "t:abdulkarim" in name_keys("Abdoul Karim", "Traoré")  # written together elsewhere
    assert "t:fatumat" in name_keys("Fanta", "Keïta")  # the diminutive finds the full name
    hashed = hashed_name_keys("Mamadou", "Diallo")
    assert len(hashed) == len(first) and all(len(h) == 64 for h in hashed)
    assert "mamad" not in json.dumps(sorted(hashed))


def test_blocking_keys_depend_on_the_hash_key(settings):
    from sentinelle.core import crypto

    before = hashed_name_keys("Mamadou", "Diallo")
    ring = json.loads(crypto.new_keyring_json("other"))
    settings.SENTINELLE = {**settings.SENTINELLE, "FIELD_KEYS": json.dumps(ring)}
    assert hashed_name_keys("Mamadou", "Diallo").isdisjoint(before)
