"""Word classes of the vocabulary: a lemma stands for all its written forms.

``verbs("frapper|battre")`` is every conjugated form of these verbs (present, imperfect, simple past,
future, conditional, subjunctive, participles in both genders and numbers), ``nouns("coupure")`` every
gender and number, ``exact("me|m|se")`` only what is written. Forms are built from the infinitive with
the rules of the three groups; the verbs that follow no rule are spelled out in ``IRREGULAR``. Forms are
stored as keys (folded, repeated letters squeezed, see :func:`text.key`), so « frappé », « frappée »,
« frapé » and « frappe » are one form.

A class is a set of entries; an entry is one word or several (« beau pere », « lame de rasoir »), as a
tuple of keys. Classes combine with ``|``.
"""

from itertools import product

from .text import fold, key

Entry = tuple[str, ...]
WordClass = frozenset[Entry]


def _endings(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_ER = _endings(
    "e es ent er ez ons ions iez ais ait aient ai a as at ames erent "
    "erai eras era erons erez eront erais erait erions eraient ant ee ees es"
)
_IR = _endings(
    "is it issons issez issent ir i ie ies issais issait issaient irai iras ira irons irez iront "
    "irais irait iraient issant isse isses"
)
_RE = _endings("s t ons ez ent re u ue us ues ais ait aient rai ras ra rons rez ront rais rait raient ant e es is it")
_MUTE = {"e", "es", "ent", "erai", "eras", "era", "erons", "erez", "eront", "erais", "erait", "erions", "eraient"}

# Verbs whose forms follow no rule of their group, spelled out (folded). Typed variants that children
# write often are listed with them (« mourire », « veu »).
IRREGULAR: dict[str, str] = {
    "aller": "vais vas va allons allez vont aller alle allee alles allees allait allais allaient irai ira iras "
    "irait irais iront aille ailles aillent allant",
    "asseoir": "assois assoit assoient assieds assied asseyons asseyez asseyent asseoir assis assise assises "
    "asseyait assoyait assiera assoira assoie assoies asseye assoir",
    "avoir": "ai as a avons avez ont avoir eu eue eus avais avait avaient aurai auras aura aurons aurez auront "
    "aurais aurait auraient aie aies ait ayant",
    "boire": "bois boit buvons buvez boivent boire bu bue bus buvais buvait buvaient boirai boira boirait boive buvant",
    # Not « dû » (« du ») nor « devant »: far more often the article and the preposition.
    "devoir": "dois doit devons devez doivent devoir devais devait devaient devrai devra devrais devrait "
    "devraient doive",
    "disparaitre": "disparais disparait disparaissons disparaissez disparaissent disparaitre disparu disparue "
    "disparus disparues disparaissais disparaissait disparaissaient disparaitrai disparaitra disparaitrais "
    "disparaitrait disparaitraient disparaisse disparaisses disparaissant disparetre disparaite dispaitre",
    "dormir": "dors dort dormons dormez dorment dormir dormi dormais dormait dormaient dormirai dormira "
    "dormirais dormirait dorme dormant",
    "endormir": "endors endort endormons endormez endorment endormir endormi endormie endormais endormait "
    "endormirai endormira endormirais endormirait endorme endormant",
    "envoyer": "envoie envoies envoient envoi envoyer envoye envoyee envoyes envoyees envoyons envoyez envoyais "
    "envoyait envoyaient enverrai enverras enverra enverrons enverront enverrais enverrait envoyant",
    "etre": "suis es est sommes etes sont etre ete etais etait etaient serai seras sera serons serez seront "
    "serais serait serions seraient sois soit soient etant",
    "faire": "fais fait faisons faites font faire faite faits faisais faisait faisaient ferai feras fera ferons "
    "ferez feront ferais ferait ferions feraient fasse fasses fassent faisant",
    "foutre": "fous fout foutons foutez foutent foutre foutu foutue foutais foutait foutrai foutra foutrais "
    "foutrait foute foutant",
    "mettre": "mets met mettons mettez mettent mettre mis mise mises mettais mettait mettaient mettrai mettra "
    "mettrais mettrait mette mettant",
    "mourir": "meurs meurt mourons mourez meurent mourir mort morte morts mortes mourais mourait mouraient "
    "mourrai mourras mourra mourrons mourront mourrais mourrait mourraient meure meures mourant mourire mouri",
    "ouvrir": "ouvre ouvres ouvrons ouvrez ouvrent ouvrir ouvert ouverte ouverts ouvertes ouvrais ouvrait "
    "ouvrirai ouvrira ouvrirais ouvrirait ouvrant",
    "pouvoir": "peux peut pouvons pouvez peuvent pouvoir pu pouvais pouvait pouvaient pourrai pourra pourrais "
    "pourrait pourraient puisse puissent pouvant peu",
    "prendre": "prends prend prenons prenez prennent prendre pris prise prises prenais prenait prenaient "
    "prendrai prendra prendrais prendrait prenne prennent prenant",
    "vivre": "vis vit vivons vivez vivent vivre vecu vecue vivais vivait vivaient vivrai vivra vivrais vivrait "
    "vive vivant",
    "vouloir": "veux veut voulons voulez veulent vouloir voulu voulue voulais voulait voulaient voudrai voudra "
    "voudrais voudrait voudrions voudraient veuille veuillent voulant",
}

# Forms that a rule would produce but that are far more often another word: « violent » (the
# adjective, not « ils violent »), « pendant » (the preposition, not « en pendant »), « tu » (the pronoun).
EXCLUDED_FORMS = frozenset({"violent", "violents", "tu", "pendant"})


def _conjugate(infinitive: str) -> set[str]:
    if infinitive in IRREGULAR:
        return set(IRREGULAR[infinitive].split())
    if infinitive.endswith("er"):
        stem = infinitive[:-2]
        forms = {stem + ending for ending in _ER}
        if stem.endswith("g"):  # manger → mangeait, mangeons
            forms |= {stem + "e" + ending for ending in _ER if ending[0] in "ao"}
        if stem.endswith("y"):  # envoyer → envoie, essayer → essaie
            forms |= {stem[:-1] + "i" + ending for ending in _MUTE}
        return forms
    if infinitive.endswith("ir"):
        return {infinitive[:-2] + ending for ending in _IR}
    if infinitive.endswith("re"):
        return {infinitive[:-2] + ending for ending in _RE}
    raise ValueError(f"Not an infinitive: {infinitive!r}")


# Every form that some verb class produced, folded and spelled as the rules spell it: a token made of
# an elision and one of these (« lembrasser », « massoie ») is split back (see text.tokens). Filled as
# the vocabulary is built.
VERB_FORMS: set[str] = set()


def _entries(words: str) -> list[list[str]]:
    return [entry.split() for entry in words.split("|") if entry.strip()]


def verbs(infinitives: str) -> WordClass:
    """Every form of each verb (« tuer|suicider »). A verb of several words conjugates its first
    word: « foutre en l air »."""
    found: set[Entry] = set()
    for words in _entries(infinitives):
        head, rest = fold(words[0]), tuple(key(w) for w in words[1:])
        for form in _conjugate(head):
            if form not in EXCLUDED_FORMS:
                found.add((key(form), *rest))
                VERB_FORMS.add(form)
    return frozenset(found)


def nouns(words: str) -> WordClass:
    """Every gender and number of each noun or adjective (« coupure », « nu », « lame de rasoir »: each
    word of an entry varies)."""
    found: set[Entry] = set()
    for entry in _entries(words):
        variants = [{w, w + "s", w + "x", w + "e", w + "es"} for w in entry]
        for combination in product(*variants):
            found.add(tuple(key(w) for w in combination))
    return frozenset(found)


def exact(words: str) -> WordClass:
    """Only what is written (« me|m|se|s », « tout le monde »)."""
    return frozenset(tuple(key(w) for w in entry) for entry in _entries(words))


def phrases(*parts: str) -> WordClass:
    """Every combination of the parts, in order: ``phrases("copain|mec", "de", "ma|sa", "mere")``."""
    found: set[Entry] = set()
    for combination in product(*(_entries(part) for part in parts)):
        found.add(tuple(key(w) for words in combination for w in words))
    return frozenset(found)
