"""What partners write for Sentinelle's codes and places, and the suggestions of the mapping step.

Partners' files use their own words: "FDS", "Milice", "Viol", "PDI", "Mopit". When a cell is not in its
code list, the mapping step (see value_maps.py) lists the value once with its rows and suggests codes:
  1. a synonym of the table below (case, accents and punctuation ignored), the whole cell or a word of it
     ("Forces armées (FAMa)" holds "fama");
  2. a code, label or synonym whose spelling is close (difflib's ratio, standard library).
For place names, the nearest names of the same level (difflib over the geography's name keys, "commune",
"cercle", "de"... left out), each with its P-code and the area above it.
A suggestion is never applied by itself: the user chooses, and the choice is remembered.

The table is small and curated: each entry says where the word comes from. Add words as partners send
them; a word that could mean two codes of one list does not belong here (the user decides).
"""

import difflib
from functools import cache

from sentinelle.activities.models import ActivityStatus, ActivityType
from sentinelle.core.codes import PopulationStatus, Sex
from sentinelle.core.text import normalise_text
from sentinelle.monitoring.models import Category, GBVType, PerpetratorCategory, SourceMechanism
from sentinelle.monitoring.models.mrm_eo_codes import DeviceType, PerpetratorParty

SUGGESTIONS = 3
PLACE_SUGGESTIONS = 5
CUTOFF = 0.6
CLOSE_CUTOFF = 0.8
# Words that say what kind of area a name is, not which one ("Commune de Mopti", "Cercle de Koro").
_PLACE_WORDS = {
    "commune",
    "cercle",
    "region",
    "district",
    "de",
    "du",
    "des",
    "d",
    "la",
    "le",
    "l",
    "cr",
    "cu",
}
_PLACE_WORDS |= {"urbaine", "rurale", "ville"}

_STATE_FORCES = {
    # Seed 004 (PROSMED) and the Cluster strategy (seed 002): "Forces de défense et de sécurité (FDS)",
    # "forces armées maliennes (FAMa)"; police, gendarmerie and garde nationale are the FDS.
    "state_forces": [
        "FDS",
        "FAMa",
        "forces armées",
        "forces armées maliennes",
        "forces de défense et de sécurité",
        "forces de sécurité",
        "armée",
        "militaires",
        "police",
        "gendarmerie",
        "garde nationale",
        # English usage (OHCHR, ACLED "State forces").
        "state forces",
        "armed forces",
        "security forces",
        "army",
        "military",
    ],
}

SYNONYMS: dict[object, dict[str, list[str]]] = {
    PerpetratorCategory: {
        **_STATE_FORCES,
        # Seed 002: "groupes armés", "groupes armés non étatiques"; GANE is the French acronym used by the
        # Malian partners (groupe armé non étatique), GAT the government's (groupes armés terroristes).
        "nsag": [
            "GANE",
            "GAT",
            "groupe armé",
            "groupes armés",
            "groupe armé non étatique",
            "groupes armés non étatiques",
            "groupes armés radicaux",
            "armed group",
            "non-state armed group",
        ],
        # Seed 002: "l'émergence des milices identitaires ou d'autodéfense"; dozos are the hunters' militias
        # of central Mali (Protection Cluster monitoring reports, 2019-2023).
        "militia": [
            "milice",
            "milices",
            "milice communautaire",
            "milices d'autodéfense",
            "groupe d'autodéfense",
            "dozo",
            "dozos",
            "chasseurs traditionnels",
            "community militia",
            "self-defence group",
        ],
        "family": ["famille", "membre de la famille", "conjoint", "mari", "époux", "partenaire intime"],
        # "Coupeurs de route": highway bandits, the usual word of Malian monitoring reports.
        "criminal": ["bandit", "bandits", "bandits armés", "banditisme", "coupeurs de route", "criminels"],
        # "NSP": ne sait pas, the "don't know" answer of French questionnaires.
        "unknown": [
            "inconnu",
            "inconnus",
            "NSP",
            "ne sait pas",
            "non identifié",
            "auteur inconnu",
            "don't know",
        ],
        "other": ["autre", "autres"],
    },
    PerpetratorParty: {
        **_STATE_FORCES,
        "nsag": ["GANE", "GAT", "groupe armé", "groupes armés", "armed group"],
        # MINUSMA (UN mission, 2013-2023) and Barkhane (French operation), seed 002.
        "international_forces": ["MINUSMA", "Barkhane", "forces internationales", "casques bleus"],
        "unknown": ["inconnu", "NSP", "ne sait pas"],
    },
    Category: {
        # GBVIMS (shared/standards.md §1.1) and seed 002: VBG, violences sexuelles; "viol" is GBV here
        # (the GBV type column has its own list).
        "gbv": ["VBG", "VSBG", "viol", "violences sexuelles", "violence sexuelle", "SGBV", "rape"],
        "life": ["meurtre", "assassinat", "homicide", "exécution sommaire", "atteinte à la vie", "killing"],
        "integrity": ["torture", "coups et blessures", "mauvais traitements", "agression physique"],
        "liberty": [
            "enlèvement",
            "enlèvements",
            "arrestation arbitraire",
            "détention arbitraire",
            "kidnapping",
        ],
        "property": ["vol", "pillage", "extorsion", "destruction de biens", "incendie", "looting", "theft"],
        "movement": ["déplacement forcé", "restriction de mouvement", "blocus", "forced displacement"],
        # MRM: "les six violations graves" (seed 002, protection de l'enfance).
        "child_rights": ["violations graves", "six violations graves", "EAFGA", "recrutement d'enfants"],
        # Seed 002: "restes explosifs de guerre (REG), d'EEI et des mines".
        "explosive": ["EEI", "REG", "mine", "mines", "engin explosif", "IED", "ERW", "UXO"],
        "access": ["accès humanitaire", "déni d'accès", "humanitarian access"],
        "documentation": ["état civil", "documentation civile", "acte de naissance", "accès à la justice"],
        "cohesion": [
            "conflit foncier",
            "conflits fonciers",
            "conflit intercommunautaire",
            "cohésion sociale",
        ],
    },
    GBVType: {
        # The six GBVIMS core types (shared/standards.md §1.1), in the words of French case forms.
        "rape": ["viol", "viol collectif", "gang rape"],
        "sexual_assault": ["agression sexuelle", "tentative de viol", "attouchements", "attempted rape"],
        "physical_assault": ["agression physique", "violence physique", "coups", "coups et blessures"],
        "forced_marriage": ["mariage forcé", "mariage précoce", "mariage d'enfant", "child marriage"],
        "denial_of_resources": ["déni de ressources", "privation de ressources", "violence économique"],
        "psychological_abuse": [
            "violence psychologique",
            "violences psychologiques",
            "violence émotionnelle",
        ],
    },
    DeviceType: {
        # Seed 002 and the UNMAS Mali vocabulary: EEI (engin explosif improvisé), REG (restes explosifs de
        # guerre), mines antipersonnel / antichar.
        "ied": ["EEI", "engin explosif improvisé", "engins explosifs improvisés"],
        "erw": ["REG", "restes explosifs de guerre", "munitions non explosées", "UXO", "AXO"],
        "landmine": ["mine antipersonnel", "mine antichar", "mine"],
        "cluster": ["sous-munitions", "armes à sous-munitions"],
    },
    SourceMechanism: {
        "community_focal_point": ["relais communautaire", "relais", "point focal communautaire"],
        "media": ["médias", "presse", "radio"],
        "service_provider": ["prestataire de services", "fournisseur de services", "centre de santé"],
        "peacekeeping": ["MINUSMA"],
    },
    Sex: {
        "f": ["femme", "femmes", "fille", "filles", "féminin", "woman", "girl"],
        "m": ["homme", "hommes", "garçon", "garçons", "masculin", "H", "man", "boy"],
        "unknown": ["inconnu", "NSP", "non précisé"],
    },
    PopulationStatus: {
        # Seeds 000 and 003 write PDI (personnes déplacées internes); DTM/CMP tables (seed 003) use
        # "retournés" for returned IDPs and "rapatriés" for returned refugees.
        "idp": ["PDI", "déplacés", "déplacés internes", "personnes déplacées internes", "IDPs"],
        "idp_returnee": ["retournés", "PDI retournées", "returnees"],
        "repatriate": ["rapatriés", "réfugiés rapatriés"],
        "refugee": ["réfugiés"],
        "host": ["hôtes", "communauté hôte", "communautés hôtes", "population hôte", "non déplacés"],
    },
    ActivityType: {
        "awareness": ["sensibilisation", "sensibilisations", "causerie", "causeries éducatives"],
        "training": ["formation", "formations", "atelier de formation"],
        "pss_session": ["PSS", "soutien psychosocial", "séance psychosociale", "groupe de parole"],
        "civil_documentation": ["jugements supplétifs", "actes de naissance", "documentation"],
        "legal_assistance": ["assistance juridique", "clinique juridique", "accompagnement juridique"],
        "cash_ipa": ["IPA", "assistance individuelle de protection", "transfert monétaire", "cash"],
    },
    ActivityStatus: {
        "completed": ["réalisé", "réalisée", "terminé", "achevé", "done"],
        "ongoing": ["en cours"],
        "planned": ["prévu", "planifié"],
        "cancelled": ["annulé"],
    },
}


@cache
def synonyms_of(choices) -> dict[str, str]:
    """{normalised word: code} for a code list (empty when the table has none)."""
    valid = {str(code) for code in choices.values}
    table = {}
    for code, words in SYNONYMS.get(choices, {}).items():
        if code not in valid:
            continue
        for word in words:
            table.setdefault(normalise_text(word), code)
    return table


def suggest_codes(codes, value: str, *, limit: int = SUGGESTIONS) -> list[str]:
    """The codes of the list `codes` (a values.CodeList) that `value` most probably means, best first."""
    key = normalise_text(value)
    if not key:
        return []
    synonyms = synonyms_of(codes.choices)
    found: list[str] = []

    def add(code):
        if code and code not in found:
            found.append(code)

    add(synonyms.get(key))
    words = key.split()
    padded = f" {key} "
    for word, code in synonyms.items():
        # A synonym that is a word, or words, of the value: "forces armees fama" holds "fama".
        if (" " in word and f" {word} " in padded) or (len(word) >= 3 and word in words):
            add(code)
    spellings = {**codes.lookup, **synonyms}
    # Near spellings too ("communaute militia"), but only close ones once a synonym spoke.
    cutoff = CLOSE_CUTOFF if found else CUTOFF
    for match in difflib.get_close_matches(key, list(spellings), n=limit * 2, cutoff=cutoff):
        add(spellings[match])
    return found[:limit]


def _place_core(key: str) -> str:
    core = " ".join(word for word in key.split() if word not in _PLACE_WORDS)
    return core or key


class PlaceIndex:
    """The names of one COD version by level, for suggestions: built once per job from its resolver."""

    def __init__(self, resolver):
        self.resolver = resolver
        self._cores: dict[int, dict[str, list]] = {}

    def cores(self, level: int) -> dict[str, list]:
        if level not in self._cores:
            table: dict[str, list] = {}
            for key, areas in self.resolver.by_key.items():
                for area in areas:
                    if area.level == level:
                        table.setdefault(_place_core(key), [])
                        if area not in table[_place_core(key)]:
                            table[_place_core(key)].append(area)
            self._cores[level] = table
        return self._cores[level]

    def known(self, value: str, level: int) -> bool:
        """Is `value` a P-code or a name of some area of `level` (whatever its parent)?"""
        area = self.resolver.get(value)
        if area is not None:
            return area.level == level
        return any(area.level == level for area in self.resolver.by_key.get(normalise_text(value), []))

    def suggest(self, value: str, level: int, *, limit: int = PLACE_SUGGESTIONS) -> list:
        """The areas of `level` whose names are nearest to `value`, best first."""
        cores = self.cores(level)
        found = []
        for match in difflib.get_close_matches(
            _place_core(normalise_text(value)), list(cores), n=limit, cutoff=CUTOFF
        ):
            for area in cores[match]:
                if area not in found:
                    found.append(area)
        return found[:limit]

    def describe(self, area) -> str:
        """ "Mopti (ML0501), Mopti": the name, the P-code and the area above, to tell namesakes apart."""
        parent = self.resolver.by_id.get(area.parent_id)
        above = f", {parent.name_fr}" if parent is not None and parent.level >= 1 else ""
        return f"{area.name_fr} ({area.pcode}){above}"
