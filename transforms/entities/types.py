"""Entity type rules that hold on real French news: what a cluster is, beyond spaCy's votes.

spaCy's French news models (WikiNER) tag peoples ("les Grecs", "les Américains"), events ("Forum
mondial de la langue française") and unknown acronyms ("CERN") as places or organisations with little
consistency. Each rule here was kept because on the hand-labelled Wikinews mentions (tests/quality/) it
fixes more labels than it breaks (README, Entities: the measured effect of each). They are word-shape
rules on French vocabulary (suffixes, event nouns), not lists of names.
"""

from __future__ import annotations

import re

from transforms.entities.names import fold, is_acronym

# Demonyms: "Grecs", "Américains", "Espagnols", "Étrusques", "Camerounaise", "Syriens". Plural forms take
# the wider suffix set; singular ones only the unambiguous -ain/-ien/-ais/-ois/-éen families.
_DEMONYM_PLURAL = re.compile(
    r"^[a-z]+(?:-[a-z]+)?(?:aine?|ienne?|aise?|oise?|eenne?|ole?|ande?|arde?|ec|que|ite|ane?|iote|ote|ine?)s$"
)
_DEMONYM_SINGULAR = re.compile(r"^[a-z]+(?:aine?|ienne?|aise?|oise?|eenne?)$")

# French nouns that head the name of an event: "Forum mondial de...", "Sommet de...", "Jeux...",
# "Coupe du monde", "Élection présidentielle...", "Guerre froide", "accords d'Évian".
EVENT_HEADS = frozenset(
    {
        "forum", "sommet", "festival", "jeux", "coupe", "championnat", "championnats", "salon", "tournoi",
        "journees", "rencontres", "marathon", "biennale", "exposition", "olympiades", "election",
        "elections", "guerre", "bataille", "traite", "accords", "accord", "revolution", "printemps",
        "grand prix", "mondial", "mondiaux", "open", "tour", "rallye", "regates", "semaine", "nuit",
    }
)  # fmt: skip


# French common nouns written with a capital by convention, never a name on their own: "l'État",
# "la République", "la Justice" (the institution in general), "l'Univers".
COMMON_NOUNS = frozenset(
    {
        "etat", "etats", "republique", "justice", "univers", "nation", "gouvernement", "president",
        "presidente", "prefet", "parlement", "constitution", "histoire", "eglise", "ancien", "nouveau",
    }
)  # fmt: skip

# Lowercase heads that belong to the name they precede (guidelines: "ministère des Affaires
# étrangères", "place Tahrir", "pont Mathilde"), with the type they give it. Not "agence" nor
# "conseil": "l'agence Moody's", "le conseil du CERN" name Moody's and the CERN (Wikinews labels).
HEAD_TYPES: dict[str, str] = {
    **dict.fromkeys(
        ("ministère", "ministères", "université", "musée", "orchestre", "institut", "lycée", "collège",
         "hôpital", "académie", "fondation"),
        "ORG",
    ),
    **dict.fromkeys(
        ("place", "rue", "avenue", "boulevard", "pont", "quai", "parc", "square", "jardin", "lac", "mont",
         "fleuve", "cathédrale", "palais", "stade", "aéroport", "gare", "théâtre", "col", "baie", "golfe"),
        "LOC",
    ),
    **dict.fromkeys(("accords", "accord", "traité", "loi", "plan", "opération"), "MISC"),
}  # fmt: skip


_ORDINAL = re.compile(r"^[IVXLC]+(?:e|è|ème|er|re)$")


def is_common_noun(name: str) -> bool:
    """A one-word mention that is a capitalised French common noun ("État", "Etat-clé", "Justice") or a
    Roman ordinal ("Xe" siècle)."""
    if len(name.split()) != 1:
        return False
    head, *rest = re.split(r"[-‐]", name)
    compound_of_common = all(part[:1].islower() for part in rest)  # "Etat-clé", not "États-Unis"
    return (fold(head) in COMMON_NOUNS and compound_of_common) or bool(_ORDINAL.match(name))


def is_demonym(name: str) -> bool:
    """A people's name written as one capitalised word: "Grecs", "Américains", "Camerounaise"."""
    words = name.split()
    if len(words) != 1 or not name[:1].isupper():
        return False
    folded = fold(name)
    return bool(_DEMONYM_PLURAL.match(folded) or _DEMONYM_SINGULAR.match(folded))


def is_event(name: str) -> bool:
    """A name headed by an event noun: "Forum mondial de la langue française", "Guerre froide"."""
    words = fold(name).split()
    if len(words) < 2:
        return False
    return words[0] in EVENT_HEADS or " ".join(words[:2]) in EVENT_HEADS


def corrected_label(label: str, canonical: str, is_place: bool) -> str:
    """The cluster's label after the type rules (spaCy's vote winner is `label`).

    - an event is MISC, whatever spaCy said (unless a person: "Tour" is a surname too);
    - a name with a lowercase head takes the head's type ("place Tahrir" LOC, "musée ..." ORG);
    - a people (demonym) is MISC, not the country: a known place keeps its label;
    - an acronym spaCy calls a place but no gazetteer knows is an organisation ("CERN").
    """
    if label != "PER" and is_event(canonical):
        return "MISC"
    head = canonical.split()[0] if " " in canonical else ""
    if head in HEAD_TYPES and label != "PER":  # lowercase head: "ministère de la Défense" is an ORG
        return HEAD_TYPES[head]
    if label in ("LOC", "ORG") and not is_place and is_demonym(canonical):
        return "MISC"
    if label == "LOC" and not is_place and is_acronym(canonical):
        return "ORG"
    return label
