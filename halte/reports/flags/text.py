"""French as it is typed, turned into words that the vocabulary can be matched against.

A report is cut into tokens that keep their place in the original text (so that the words that fired
a flag can be highlighted where the reporter wrote them). Each token is then normalised the way
children, parents and staff actually write:

- case and accents do not count (« Père », « pere », « PÈRE »), nor ligatures (« sœur », « soeur »);
- apostrophes may be missing or doubled (« j'ai », « jai », « j’ai »);
- repeated letters do not count (« mourirrrr », « frappé » and « frapé » compare equal), so every
  comparison uses the token with its runs of a letter squeezed to one (its *key*);
- common SMS spellings are written out (« jsuis » → « je suis », « g » → « j ai », « pk » →
  « pourquoi »), and a missing elision is restored when what follows is a word of the vocabulary
  (« lembrasser » → « l embrasser »).

Sentences and clauses are numbered so that a pattern never spans two sentences and a negation only
reaches the words of its own clause.
"""

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

# Words, and runs of laughing emoji (a joke marker, like « mdr »).
_WORD = re.compile(r"[^\W_]+|[\U0001F602\U0001F606\U0001F605\U0001F923\U0001F639]+")
_SENTENCE_END = re.compile(r"[.!?;\n…]")
_CLAUSE_END = re.compile(r"[,:()\[\]—–]|\s-\s")
_LONG_RUN = re.compile(r"(.)\1{2,}")
_ANY_RUN = re.compile(r"(.)\1+")
_VOWELS = frozenset("aeiouyh")

# Words that start a new clause: a negation before them does not reach what follows.
CLAUSE_WORDS = frozenset({"mais", "car", "si", "quand", "parce", "puisque", "alors", "lorsque", "sinon"})

# SMS and phonetic spellings, folded, and what they stand for. Only spellings that cannot be read
# otherwise: « sa » (ça or sa), « ma » (m'a or ma), « tes » (t'es or tes) stay as they are, and the
# vocabulary accepts both readings where it matters.
SMS: dict[str, str] = {
    # elisions typed without their apostrophe
    "jai": "j ai",
    "javais": "j avais",
    "jaurais": "j aurais",
    "jaurai": "j aurai",
    "jetais": "j etais",
    "jetai": "j etais",
    "jallais": "j allais",
    "jarrive": "j arrive",
    "jarrivai": "j arrivais",
    "jaime": "j aime",
    "jaimerais": "j aimerais",
    "jaimerai": "j aimerais",
    "jaimrai": "j aimerais",
    "jen": "j en",
    "jy": "j y",
    "jessaie": "j essaie",
    "jessaye": "j essaie",
    "jecris": "j ecris",
    "jirai": "j irai",
    "jhabite": "j habite",
    "sest": "s est",
    "setait": "s etait",
    "sen": "s en",
    "cest": "c est",
    "cetait": "c etait",
    "ct": "c etait",
    "quil": "qu il",
    "quils": "qu ils",
    "kil": "qu il",
    "kils": "qu ils",
    "quon": "qu on",
    "kon": "qu on",
    "quelle": "qu elle",
    "quelles": "qu elles",
    "jusqua": "jusqu a",
    "lont": "l ont",
    "lavait": "l avait",
    "lavaient": "l avaient",
    "mont": "m ont",
    "mavait": "m avait",
    "mavaient": "m avaient",
    "mas": "m as",
    "tas": "t as",
    "tavais": "t avais",
    "nai": "n ai",
    "nest": "n est",
    "nont": "n ont",
    "navait": "n avait",
    "den": "d en",
    "dla": "de la",
    # je + verb in one word beyond the rule for « j » + consonant (see tokens())
    "chui": "je suis",
    "chuis": "je suis",
    "chu": "je suis",
    "jss": "je suis",
    "jsp": "je sais pas",
    "jcp": "je sais pas",
    "jpp": "j en peux plus",
    "jveu": "je veux",
    "jvx": "je veux",
    "jv": "je vais",
    # single letters and short forms
    "g": "j ai",
    "c": "c est",
    "k": "que",
    "q": "que",
    "ke": "que",
    "ki": "qui",
    "koi": "quoi",
    "kwa": "quoi",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pourkoi": "pourquoi",
    "pcq": "parce que",
    "pck": "parce que",
    "psk": "parce que",
    "paske": "parce que",
    "pasque": "parce que",
    "kan": "quand",
    "qd": "quand",
    "tt": "tout",
    "tte": "toute",
    "ttes": "toutes",
    "tjr": "toujours",
    "tjrs": "toujours",
    "tjs": "toujours",
    "toujour": "toujours",
    "jamai": "jamais",
    "jms": "jamais",
    "pa": "pas",
    "bcp": "beaucoup",
    "svt": "souvent",
    "ds": "dans",
    "dc": "donc",
    "pr": "pour",
    "vs": "vous",
    "ns": "nous",
    "avc": "avec",
    "avk": "avec",
    "avek": "avec",
    "mwa": "moi",
    "moa": "moi",
    "twa": "toi",
    "toa": "toi",
    "sui": "suis",
    "fo": "faut",
    "fe": "fait",
    "fai": "fais",
    "veu": "veux",
    "vx": "veux",
    "ve": "veux",
    "plu": "plus",
    "envi": "envie",
    "srai": "serait",
    "srait": "serait",
    "mieu": "mieux",
    "lair": "l air",
    "couto": "couteau",
    "couteu": "couteau",
    "coutos": "couteaux",
    "tro": "trop",
    "tlm": "tout le monde",
    "qqn": "quelqu un",
    "qqun": "quelqu un",
    "kelkun": "quelqu un",
    "tkt": "t inquiete",
    "keum": "mec",
    # family words written as one
    "beaupere": "beau pere",
    "bellemere": "belle mere",
    "beaudaron": "beau pere",
    "grandpere": "grand pere",
    "grandmere": "grand mere",
    "demifrere": "demi frere",
    "demisoeur": "demi soeur",
    "grandfrere": "grand frere",
    "grandesoeur": "grande soeur",
    "teeshirt": "tee shirt",
    "tshirt": "tee shirt",
}


def fold(text: str) -> str:
    """Lower case, no accents, no ligatures: « Sœur » and « soeur » compare equal."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def key(word: str) -> str:
    """What two spellings of a word share: folded, each run of a letter squeezed to one letter."""
    return _ANY_RUN.sub(r"\1", fold(word))


@dataclass(frozen=True)
class Token:
    key: str  # the normalised word (see key())
    start: int  # where the reporter's word starts and ends in the text (several tokens may share it)
    end: int
    sentence: int
    clause: int


def _spelled_out(word: str, known: Collection[str]) -> list[str]:
    """The words one typed token stands for (itself, most of the time)."""
    word = _LONG_RUN.sub(r"\1", word)  # « nonnnn », « mdrrrr »
    if word in SMS:
        return SMS[word].split()
    if len(word) > 1 and word[0] == "j" and word[1] not in _VOWELS and word[1].isalpha():
        # No French word starts with « j » and a consonant: « jme », « jveux », « jsuis » are « je … ».
        rest = word[1:]
        return ["je", *SMS.get(rest, rest).split()]
    if len(word) > 2 and word not in known:
        # An elision without its apostrophe, when what follows is a verb we look for: « lembrasser ».
        for prefix in ("qu", "j", "m", "t", "s", "l", "d", "n", "c"):
            rest = word[len(prefix) :]
            if word.startswith(prefix) and len(rest) >= 4 and rest[:1] in _VOWELS and rest in known:
                return [prefix, rest]
    return [word]


def tokens(text: str, known: Collection[str] = ()) -> list[Token]:
    """The words of `text`, normalised, with their place, sentence and clause. `known` are the verb
    forms of the vocabulary, before which a missing elision is restored."""
    found: list[Token] = []
    sentence = clause = 0
    previous_end = 0
    for match in _WORD.finditer(text):
        gap = text[previous_end : match.start()]
        if found and _SENTENCE_END.search(gap):
            sentence += 1
            clause += 1
        elif found and _CLAUSE_END.search(gap):
            clause += 1
        previous_end = match.end()
        raw = match.group()
        # « TS » (tentative de suicide) is written in capitals; « ts » is SMS for « tous ».
        words = ["tentative", "de", "suicide"] if raw == "TS" else _spelled_out(fold(raw), known)
        for word in words:
            if word in CLAUSE_WORDS and found and found[-1].clause == clause:
                clause += 1
            found.append(Token(key(word), match.start(), match.end(), sentence, clause))
    return found
