"""The critical signals of a report, as one declarative table: what a colleague reviews.

Read it top to bottom:

1. ``FLAGS`` — the intake flags, with the boxes of the form that raise each one on their own.
2. ``WORDS`` — the word classes the signals are written with. A verb stands for all its forms
   (« frapper » is « frappe », « frappait », « frappée »…), a noun for its genders and numbers; persons
   and relatives are classes too (« <proche> » is « mon père », « sa belle-mère », « le copain de ma
   mère »…). See :mod:`.words`.
3. ``SIGNALS`` — one line per way of saying a danger: the flag it raises, a pattern in the language of
   :mod:`.patterns` (``…`` = a few words may stand here), and the exceptions that give the words another
   meaning (« mourir *de rire* », « ma mère me bat *aux cartes* »). Exceptions are written against a
   harmless use that people really write; nothing else silences a signal.
4. ``AGENTS`` — a sexual-violence signal whose author is a relative is also danger in the family.
5. ``NEGATIONS`` and ``JOKES`` — a negation in the clause before the words (« il n'a *jamais* parlé de
   se tuer ») or a joke marker in the sentence (« mdr ») never silences a signal: it lowers it to
   « à vérifier ». A signal whose wording is itself negative (« je veux *plus* vivre ») says so
   (``own_negation``) and is not lowered by it.

Text is matched after normalisation (:mod:`.text`): no accents, no case, SMS spellings written out,
repeated letters squeezed. Write the table in plain folded French (« pere », « deshabiller »).

Every change here is checked against the corpus ``tests/reports/flags_corpus.toml``: ``manage.py
flags_report tests/reports/flags_corpus.toml`` prints the recall per flag and the false alarms, and the
test suite fails below 100 % recall or above 10 % false alarms. Add to the corpus the accounts that
made you change the table.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ..enums import DistressSign, Form
from .words import WordClass, exact, nouns, phrases, verbs

# --- 1. The flags ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    code: str
    label: Promise
    signs: frozenset[str] = frozenset()  # distress signs (boxes) that raise the flag on their own
    forms: frozenset[str] = frozenset()  # forms of bullying (boxes) that raise it on their own
    immediate_danger: bool = False  # the « danger immédiat » box


FLAGS: tuple[Flag, ...] = (
    Flag(
        "self_harm",
        _("Automutilation ou idées suicidaires"),
        signs=frozenset({DistressSign.SELF_HARM, DistressSign.SUICIDAL}),
    ),
    Flag("sexual", _("Violences sexuelles"), forms=frozenset({Form.SEXUAL})),
    Flag("weapon", _("Arme")),
    Flag("family_danger", _("Danger dans la famille")),
    Flag("immediate_danger", _("Danger immédiat signalé"), immediate_danger=True),
)

# --- 2. Word classes ---------------------------------------------------------------------------------

_PARENTS = "mere|pere|maman|papa|daronne|daron|reum|reup|parents"

WORDS: dict[str, WordClass] = {
    # Persons. « me/te » are only read as « myself/yourself » after their subject (« je vais me
    # tuer »; « il va me tuer » is a threat, not self-harm); « se » always is.
    "je": exact("je|j|moi"),
    "tu": exact("tu|t|toi"),
    "se": exact("se|s"),
    "reflechi": exact("me|m|te|t|se|s|nous|vous"),
    # « ma », « ta » and « la »: « il m'a », « il t'a », « il l'a » typed without apostrophe.
    "objet": exact("me|m|ma|te|t|ta|la|l|le|les|lui|leur|nous|vous"),
    "possessif": exact("mon|ma|mes|ton|ta|tes|son|sa|ses|notre|nos|votre|vos|leur|leurs"),
    # Relatives and the adults of the home, as a child or a parent names them.
    "proche": exact(
        f"{_PARENTS}|beau pere|belle mere|beaux parents|frere|freres|soeur|soeurs|demi frere|demi soeur|"
        "grand frere|grande soeur|oncle|oncles|tante|tantes|tonton|tata|cousin|cousins|cousine|cousines|"
        "grand pere|grand mere|grands parents|papi|papy|mamie|mamy|parrain|marraine|compagnon|compagne|"
        "conjoint|conjointe|mari|concubin|beau frere|belle soeur|famille|famille d accueil|tuteur|tutrice"
    )
    | phrases(
        "copain|copine|mec|cheri|cherie|compagnon|compagne|conjoint|conjointe|ami|amie|petit ami|petite amie|"
        "nouveau|nouvelle|jules|homme|femme|mari|ex",
        "de|d",
        "ma|mon|sa|son|ta|ton|leur|notre|votre|la|le",
        f"{_PARENTS}|tante|soeur|grand mere",
    ),
    # Who else may be the author of a blow: pupils, or « on ».
    "autres_auteurs": exact(
        "ils|elles|on|eleve|eleves|garcon|garcons|fille|filles|camarade|camarades|gars|mecs|grands|copains|"
        "copines|potes|classe|collegiens|collegiennes|lyceens|bande|groupe"
    ),
    # --- self-harm
    "suicide": nouns("suicide|suicidaire|tentative de suicide|pensee suicidaire|idee suicidaire")
    | verbs("suicider")
    | exact("kms|kys"),
    # Verbs that are self-harm whoever the subject, once reflexive: « se scarifier », « va te pendre ».
    "se_detruire": verbs(
        "pendre|scarifier|scarrifier|mutiler|automutiler|taillader|entailler|suicider|foutre en l air|"
        "ouvrir les veines|couper les veines|trancher les veines|taillader les veines|defenestrer"
    ),
    # Verbs that are self-harm when reflexive for their subject: « je me coupe », « il se brûle ».
    "se_blesser": verbs(
        "tuer|couper|bruler|griffer|etrangler|faire du mal|faire beaucoup de mal|faire trop de mal|"
        "faire vomir|taper la tete|cogner la tete|frapper la tete|taper contre|cogner contre|frapper contre|"
        "arracher la peau|arracher les cheveux|empoisonner|noyer|tirer une balle"
    ),
    "blesser": verbs("blesser|frapper|taper|cogner|mordre"),
    "expres": exact("expres|volontairement|intentionnellement|sciemment"),
    "mourir": verbs("mourir|crever"),
    "vouloir": verbs("vouloir|aimer|preferer|souhaiter|rever|penser") | nouns("envie|besoin") | exact("mieux|plutot"),
    "disparaitre": verbs("disparaitre|exister|evaporer|volatiliser"),
    # Someone coming into a child's bed: « le copain de ma mère vient dans mon lit la nuit ».
    "venir_au_lit": verbs("rentrer|entrer|glisser|coucher|monter|allonger|faufiler")
    # « venir » is irregular: its forms are written out.
    | nouns("venir|vient|viens|viennent|venait|venaient|vienne|venu|revenir|revient|reviens|reviennent|revenait"),
    "vivre": verbs("vivre|exister"),
    "naitre": exact("ne|nee|nes|nees|naitre|naissance"),
    "regretter": verbs("regretter|pleurer|manquer|remarquer"),
    "gacher": verbs("gacher|pourrir|detruire|ruiner|bousiller"),
    "devoir": verbs("devoir"),
    "etre": verbs("etre|sentir|rester"),
    "fardeau": nouns("poids|fardeau|boulet|charge|probleme|erreur"),
    "dormir": verbs("dormir|endormir|partir|reposer|fermer les yeux"),
    "toujours": exact("toujours|de bon|a jamais|definitivement|pour l eternite"),
    "reveiller": verbs("reveiller|rouvrir les yeux"),
    "adieu": nouns("adieu|lettre d adieu|message d adieu"),
    "lettre": nouns("lettre|mot|message|story|post|video|testament"),
    "medicament": nouns(
        "medicament|medoc|cachet|pilule|comprime|gelule|doliprane|paracetamol|somnifere|anxiolytique|"
        "antidepresseur|xanax|lexomil|tramadol|efferalgan|dafalgan|ibuprofene|advil|neuroleptique|"
        "javel|eau de javel|detergent|poison|mort aux rats|produit menager"
    ),
    "quantite": exact("tous|toutes|tout|toute|plein|beaucoup|trop|plusieurs|tas|dizaine|vingtaine|grande")
    | nouns("plaquette|boite|tube|paquet|quantite|poignee|flacon|bouteille|bidon|tablette"),
    "avaler": verbs("avaler|prendre|ingerer|gober|boire|engloutir"),
    "essayer": verbs("essayer|tenter") | nouns("tentative"),
    "moyen": nouns("medicament|cachet|pilule|corde|fenetre|pont|veine|lame|couteau|ceinture|train|balcon"),
    "sauter": verbs("sauter|jeter|lancer|balancer|precipiter"),
    "hauteur": nouns("pont|fenetre|balcon|toit|train|metro|immeuble|falaise|voiture|camion|etage|viaduc|tgv|rer"),
    "trace": nouns("coupure|entaille|cicatrice|scarification|griffure|brulure|estafilade|plaie"),
    "corps": nouns("bras|avant bras|poignet|cuisse|jambe|ventre|peau|hanche|epaule"),
    "sans_moi": exact("mieux|tranquille|tranquilles|heureux|heureuse|heureuses|bien|debarrasses|soulages"),
    "lame": nouns("couteau|lame|cutter|ciseaux|compas|rasoir|cutteur"),
    # --- sexual violence
    "viol": nouns(
        "viol|attouchement|agression sexuelle|abus sexuel|violence sexuelle|sextorsion|fellation|"
        "sodomie|exhibitionniste|exhibitionnisme|pedophile|pedo|pedocriminel|acte sexuel|rapport sexuel|"
        "relation sexuelle|chose sexuelle|truc sexuel|photo pornographique|video pornographique|"
        "montage pornographique|pornographie|porno|porn"
    )
    | verbs(
        "violer|agresser sexuellement|abuser sexuellement|sodomiser|masturber|branler|sucer|faire une pipe|"
        "tailler une pipe|faire une gaterie|faire une turlute"
    ),
    "media": nouns(
        "photo|video|image|film|snap|story|storie|live|capture|screen|selfie|montage|cliche|enregistrement|nude|"
        "visio|visioconference|facetime|appel video|webcam|cam"
    )
    | exact("photos|videos|stories|lives|snaps|nudes"),
    "filmer": verbs("filmer|photographier|enregistrer|prendre en photo|prendre en video|mitrailler"),
    "nudite": nouns(
        "nu|nue|poil|intime|sein|fesse|sexe|bite|zizi|teub|chatte|poitrine|entrejambe|culotte|"
        "slip|calecon|boxer|string|soutif|soutien gorge|sous vetement|nudite|topless|parties intimes"
    )
    | exact("a poil|sans habit|sans habits|sans vetement|sans vetements|sans rien|en sous vetements")
    | phrases("dans|sous", "mon|ma|le|la|les|son|sa|leur", "bain|douche|douches|baignoire"),
    "nudes": exact("nude|nudes|nudz|nuds"),
    "toucher": verbs("toucher|tripoter|peloter|caresser|tater|palper|frotter|lecher|doigter"),
    "intime": nouns(
        "fesse|sein|sexe|bite|zizi|teub|chatte|poitrine|entrejambe|partie|parties intimes|cuisse|culotte|"
        "slip|calecon|string|soutif|soutien gorge|sous vetement|pantalon|jupe|short|braguette|tee shirt"
    ),
    "main": nouns("main|doigt"),
    "forcer": verbs("forcer|obliger|contraindre|imposer|menacer|exiger|vouloir") | exact("force|de force"),
    "deshabiller": verbs(
        "deshabiller|deculotter|denuder|mettre a poil|mettre tout nu|mettre toute nue|mettre nu|mettre nue"
    ),
    "enlever": verbs("enlever|retirer|arracher|baisser|soulever|tirer|descendre|ouvrir|remonter"),
    "vetement_intime": nouns(
        "short|pantalon|jogging|culotte|slip|calecon|boxer|jupe|serviette|tee shirt|haut|soutien gorge|"
        "soutif|maillot|string|sous vetement|vetement|habit|robe|braguette|survet|bas"
    ),
    "embrasser": verbs("embrasser|rouler une pelle|rouler des pelles|coucher|lecher") | nouns("bisou|bise|calin"),
    "sexe_acte": verbs("faire des trucs|faire des choses|faire l amour|coucher") | nouns("chose|truc"),
    "chantage": nouns("chantage|menace") | verbs("menacer|faire chanter"),
    "se_changer": verbs("changer|doucher|laver|deshabiller|baigner"),
    "regarder": verbs("regarder|entrer|rentrer|ouvrir la porte|mater|espionner|filmer|photographier"),
    "asseoir": verbs("asseoir"),
    # --- weapons
    "arme": nouns(
        "arme|couteau|cutter|cutteur|opinel|laguiole|schlass|chlass|canif|cran d arret|machette|sabre|poignard|"
        "hache|hachette|poing americain|matraque|taser|tazer|bombe lacrymogene|bombe lacrymo|lacrymo|gazeuse|"
        "batte de baseball|batte|barre de fer|lame de rasoir|lame|pistolet|revolver|flingue|fusil|carabine|"
        "arme a feu|arme blanche|gun|calibre|arbalete|munition|grenade|explosif|shuriken|nunchaku|katana|"
        "tournevis|tesson|seringue|marteau"
    )
    | exact("9mm|22lr"),
    "objet_pointu": nouns("compas|ciseau|ciseaux|stylo|crayon|fourchette|cutter|tournevis|aiguille|cle|lame"),
    "planter": verbs("planter|enfoncer|poignarder|piquer|blesser|couper|trancher|egorger|balafrer"),
    "menacer": verbs("menacer|braquer|pointer|viser|brandir|sortir|ramener|apporter|montrer|exhiber|agiter"),
    "jeu": nouns(
        "carte|jeu|jeu video|echec|dame|course|foot|football|match|partie|uno|belote|tarot|monopoly|scrabble|"
        "fortnite|minecraft|fifa|mario|mario kart|console|ping pong|tennis|basket|handball|petanque|bras de fer|"
        "sport|point|poker|domino|jeu de societe"
    ),
    # --- danger in the family
    "coups": verbs(
        "frapper|taper|battre|cogner|gifler|tabasser|etrangler|fouetter|bruler|secouer|maltraiter|defoncer|"
        "brutaliser|martyriser|torturer|enfermer|sequestrer|attacher|ligoter|frapper|mettre des coups|"
        "mettre des claques|mettre des gifles|mettre des baffes|donner des coups|jeter dehors|laisser dehors|"
        "mettre dehors|jeter a la rue|mettre a la porte|mettre a la rue|priver de manger|priver de repas|"
        "priver de nourriture|priver de diner|priver de dejeuner|priver de gouter|laisser sans manger|"
        "pousser dans|pousser contre|pousser par terre|trainer par|tirer les cheveux|tirer par les cheveux|"
        "cramer|tabasser|massacrer|casser la gueule|peter la gueule|exploser|faire mal|faire du mal|serrer le cou|"
        "serrer la gorge|prendre a la gorge|etouffer|pincer|mordre|"
        + "|".join(
            f"{verb} {article} {blow}"
            for verb in ("mettre", "donner", "coller", "foutre", "filer", "envoyer")
            for article in ("un", "une", "des")
            for blow in [
                "coup",
                "coups",
                "droite",
                "gauche",
                "claque",
                "claques",
                "gifle",
                "gifles",
                "baffe",
                "baffes",
                "beigne",
                "tarte",
                "patate",
                "pain",
                "taquet",
                "mandale",
                "rouste",
                "raclee",
                "correction",
                "fessee",
                "coup de poing",
                "coup de pied",
                "coup de ceinture",
            ]
        )
    )
    | nouns(
        "coup|claque|baffe|gifle|fessee|raclee|correction|violence|beigne|patate|torgnole|hematome|"
        "coup de ceinture|coup de poing|coup de pied|strangulation|brulure de cigarette"
    ),
    "prendre": verbs("prendre"),
    "lieu_clos": nouns(
        "cave|placard|grenier|garage|balcon|cagibi|cabanon|niche|salle de bain|sous sol|chambre|"
        "cellier|debarras|remise|buanderie|cabane"
    )
    | exact("dehors"),
    "enfermer": verbs("enfermer|sequestrer|boucler|cloitrer"),
    "maison": exact("a la maison|chez moi|chez lui|chez elle|chez eux|chez nous|au domicile|a domicile|chez soi"),
    "rentrer": verbs("rentrer|retourner|revenir|aller"),
    "manger": verbs("manger|nourrir") | nouns("repas|nourriture|gouter"),
    "menacer_de": verbs("menacer"),
    "menace_de_mort": verbs("tuer|frapper|defoncer|egorger|planter|buter|massacrer") | nouns("mort|couteau|arme|fusil"),
}

# --- 3. Signals --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signal:
    flag: str
    pattern: str
    # Patterns around the words (``_``) that give them a harmless meaning.
    unless: tuple[str, ...] = ()
    # The whole match stays within one clause rather than one sentence.
    clause: bool = False
    # A word class that may not stand in a gap of the pattern.
    blocked_by: str = ""
    # A pattern that must also match in the same sentence, or the one just before or after it.
    near: str = ""
    # The wording carries its own negation (« plus envie de vivre »): a negation does not lower it.
    own_negation: bool = False


# Idioms built on « mourir », « crever », « tuer »: the death of a figure of speech.
_DYING_OF = ("_ de|d rire|honte|faim|soif|chaud|froid|ennui|peur|envie|fatigue|jalousie|impatience|curiosite",)
_INSULTED_AS = ("traiter|traite|traitent|traites|traitee|appeler|appelle|appellent|surnommer|surnomme …2 de|d? _",)
_AS_A_TOPIC = ("expose|film|cours|livre|documentaire|prevention|campagne|theme|sujet|lecon|affiche|article|serie …3 _",)

SIGNALS: tuple[Signal, ...] = (
    # --- Self-harm and suicidal ideas --------------------------------------------------------------
    Signal("self_harm", "<suicide>", unless=(*_INSULTED_AS, *_AS_A_TOPIC)),
    Signal("self_harm", "<reflechi> …2 <se_detruire>"),
    Signal("self_harm", "scarification|automutilation|mutilation|scarifie|scarifiee|scarifies|scarifiees"),
    Signal("self_harm", "idee|idees|pensee|pensees noire|noires"),
    Signal("self_harm", "overdose|surdose|intoxication|lavage d|de estomac|medicamenteuse"),
    Signal(
        "self_harm",
        "<se> …2 <se_blesser>",
        unless=(
            "_ …3 doigt|cheveux|ongles|frange|parole|monde|autres|amis|pain|legumes|viande|papier|feuille",
            "_ …2 au|a travail|tache|boulot|sport|entrainement",
            "_ …4 cuisine|four|soleil|casserole|plaque|fer|chocolat|the|cafe",
            "_ …1 <jeu>",
        ),
    ),
    Signal(
        "self_harm",
        "<je> …3 me|m …2 <se_blesser>",
        unless=(
            "_ …3 doigt|cheveux|ongles|frange|parole|monde|autres|amis|pain|legumes|viande|papier|feuille",
            "_ …2 au|a travail|tache|boulot|sport|entrainement",
            "_ …4 cuisine|four|soleil|casserole|plaque|fer|chocolat|the|cafe",
        ),
    ),
    Signal("self_harm", "<tu> …3 te|t …2 <se_blesser>"),
    # « Va te tuer », « d'aller me tuer »: told to kill oneself. Not « il va te tuer », a threat.
    Signal(
        "self_harm",
        "va|vas|allez|aller me|m|te|t|se|s <se_blesser>",
        unless=("il|elle|ils|elles|on|je|j|tu|ca|sa|qui _",),
    ),
    Signal("self_harm", "<reflechi> …2 <blesser> …3 <expres>"),
    Signal("self_harm", "<se> …2 planter|poignarder|egorger", near="<lame>"),
    Signal("self_harm", "<je> …3 me|m …2 planter|poignarder|egorger", near="<lame>"),
    Signal("self_harm", "<vouloir> …3 <mourir>", unless=_DYING_OF),
    Signal(
        "self_harm",
        "devoir|dois|doit|devrais|devrait|devrait|aller|vais|va …2 <mourir>",
        unless=_DYING_OF,
        near="<je>|<tu>|<se>|<reflechi>",
    ),
    Signal("self_harm", "<vouloir> …2 <etre> mort|morte|morts|mortes", unless=_DYING_OF),
    Signal("self_harm", "<vouloir> …3 <disparaitre>", unless=("_ …2 sous|de …1 table|terre|circulation|carte",)),
    Signal("self_harm", "si <je> …2 <disparaitre>", unless=("_ …2 sous|de …1 table|terre|circulation|carte",)),
    Signal("self_harm", "<disparaitre> plus|pas", own_negation=True),
    Signal("self_harm", "plus|pas …1 <disparaitre>", own_negation=True, unless=("_ …2 sous|de …1 table|terre",)),
    Signal("self_harm", "<vouloir> plus|pas …1 <etre> la|ici", own_negation=True),
    Signal("self_harm", "<je> …2 <etre> plus|pas la|ici", own_negation=True),
    Signal("self_harm", "<sans_moi> sans moi", own_negation=True),
    Signal("self_harm", "<etre> …2 un|une|le|la <fardeau> pour", unless=("_ …1 <jeu>",)),
    Signal("self_harm", "fardeau|fardeaux"),
    Signal("self_harm", "<etre> de trop"),
    Signal("self_harm", "plus|pas|aucune|aucun …2 envie|gout|raison|besoin …2 de|d …1 vivre", own_negation=True),
    Signal("self_harm", "<vouloir> …1 plus|pas …1 vivre", own_negation=True),
    Signal("self_harm", "a quoi|koi …4 vivre"),
    Signal("self_harm", "sert|servir|sers a rien …3 <vivre>", own_negation=True),
    Signal("self_harm", "<vouloir> …3 jamais|pas …1 <etre> <naitre>", own_negation=True),
    Signal("self_harm", "jamais|pas …2 du|<devoir> …1 <naitre>", own_negation=True),
    Signal("self_harm", "si <je> …2 <etre> …1 mort|morte|morts|mortes|disparu|disparue"),
    Signal(
        "self_harm",
        "personne …3 me|m …1 <regretter>",
        own_negation=True,
        unless=("_ …2 en|dans|a la …1 classe|cour|couloir|recre",),
    ),
    Signal("self_harm", "<je> …2 <gacher> …1 la vie …3 tout le monde|<proche>|famille|parents|entourage"),
    Signal("self_harm", "marre …2 la vie|vivre"),
    Signal("self_harm", "marre …2 vivre|exister"),
    Signal(
        "self_harm",
        "en finir",
        unless=(
            "_ avec|a …1 le|ce|ces|cette|les|mon|ma|son|sa|leur|leurs|eux|lui|elle|ca|sa …1 "
            "harcelement|histoire|probleme|situation|moqueries|insultes|bande|groupe|eux|lui|elle|affaire|cours|"
            "devoirs|travail|controle|expose|exercice",
            "_ avec eux|lui|elle",
        ),
    ),
    Signal("self_harm", "<dormir> …2 pour|a …1 <toujours>"),
    Signal("self_harm", "<dormir> …2 a jamais|definitivement|eternellement"),
    Signal("self_harm", "plus|pas jamais? …2 <reveiller>", own_negation=True),
    Signal("self_harm", "<adieu>", unless=("dire|dit|dis …1 _ a|au …2 ami|amis|copains|college|classe",)),
    Signal("self_harm", "<lettre> …6 au cas|adieu"),
    Signal("self_harm", "<avaler> …4 <quantite> …3 <medicament>"),
    Signal("self_harm", "<essayer> …4 <moyen>"),
    Signal("self_harm", "<essayer> …2 de|d …1 <reflechi> …1 <se_blesser>|<se_detruire>"),
    Signal("self_harm", "<reflechi> …2 <sauter> …3 du|par|de|sous|depuis …2 <hauteur>"),
    Signal("self_harm", "<je>|<tu>|il|elle …2 <sauter> …3 du|par|de|sous|depuis …2 <hauteur>"),
    Signal("self_harm", "<je>|<tu>|il|elle|<reflechi> …3 sauter|jeter|precipiter|balancer", near="<hauteur>"),
    Signal("self_harm", "<trace> …4 <corps>"),
    # --- Sexual violence ---------------------------------------------------------------------------
    Signal("sexual", "<viol>", unless=(*_AS_A_TOPIC, "parle|parler|parlait|parlé …3 _")),
    Signal("sexual", "<nudes>"),
    Signal("sexual", "<media> …4 <nudite>", unless=("pieds|pied|torse|bras _",)),
    Signal("sexual", "<filmer> …4 <nudite>", unless=("pieds|pied|torse|bras _",)),
    Signal("sexual", "<media>|<filmer> …3 intime|intimes", unless=("journal _",)),
    Signal("sexual", "intime|intimes …3 <media>"),
    Signal("sexual", "<media>|<filmer> …4 sous|dessous …2 jupe|robe|porte|cabine|douche"),
    Signal("sexual", "<media>|<filmer>|<regarder> …6 pendant|quand …3 <reflechi> <se_changer>"),
    Signal("sexual", "<chantage> …8 <nudite>|<nudes>", clause=True),
    # A threat about a picture is sextortion; « des menaces sur snap » names the platform, not a picture.
    Signal("sexual", "<chantage> …8 <media>", clause=True, unless=("sur|via|par|en snap|story|storie|live",)),
    # Touching: « il me touche », « elle m'a touchée là où je voulais pas », « il se frotte contre moi ».
    Signal(
        "sexual",
        "<objet> …1 <toucher>",
        unless=(
            "ca|sa|cela|ce|c|ceci|vraiment|beaucoup|tellement …2 _",
            "_ …2 epaule|ballon|balle|raquette|affaires|coeur",
            "<je> …2 _",
        ),
    ),
    Signal("sexual", "<toucher> …3 <intime>"),
    Signal(
        "sexual",
        "<venir_au_lit> …2 dans|sous|sur …1 mon|ma|son|sa|leur|le|la …1 lit|lits|couette|draps",
        unless=(
            "soeur|soeurs|frere|freres|chat|chats|chien|chiens|chaton|chiot|bebe|doudou …6 _",
            "_ …8 peur|orage|cauchemar|cauchemars|malade|fievre",
        ),
    ),
    Signal("sexual", "<se> <toucher> …2 contre|sur moi|elle|lui"),
    Signal("sexual", "<main> …3 dans|sous|sur|entre …2 <intime>|jambes|cuisses"),
    Signal("sexual", "<main> …2 partout"),
    Signal("sexual", "bisou|bisous|bise|bises …2 dans|sur le|la …1 cou|bouche|levres"),
    Signal("sexual", "<embrasser> …2 de force|force|obligee|oblige|forcee"),
    Signal("sexual", "<forcer> …4 <embrasser>|<toucher>|<deshabiller>|<sexe_acte>|<viol>"),
    Signal("sexual", "<forcer> …6 <enlever> …3 <vetement_intime>"),
    Signal("sexual", "<forcer> …4 <asseoir> …1 sur lui|elle|eux|genoux"),
    Signal("sexual", "<objet> …2 <deshabiller>", unless=("<je> …2 _", "on …2 _", "nous …2 _")),
    Signal("sexual", "deculotter|deculotte|deculottee|deculottes|deculottees|deculotage"),
    Signal("sexual", "<enlever> …3 <vetement_intime>", near="<autres_auteurs>|il|elle|<forcer>|<media>|<filmer>"),
    Signal("sexual", "<media>|<filmer> …6 <reflechi> …1 <se_changer>"),
    Signal("sexual", "<prendre> …3 en photo|photos|video|videos …6 <nudite>|toilettes|wc|douche|douches|cabine|jupe"),
    Signal("sexual", "<filmer> …4 dans|aux|sous …1 toilettes|wc|douche|douches|cabine|cabines"),
    # --- Weapons -----------------------------------------------------------------------------------
    Signal(
        "weapon",
        "<arme>",
        unless=(
            "_ a|au eau|billes|bille|plomb|mousse|flechette|flechettes",
            "nerf|faux|fausse|jouet _",
            "dessin|dessine|dessiner|dessinee|dessines|dessinees|emoji|emojis …3 _",
            "_ …4 guerre",
            "guerre …6 _",
            "_ …2 cantine|self|repas|viande|pain|beurre",
            "batte|battre|bat|bats …2 _",
            "<jeu> …3 _",
        ),
    ),
    Signal("weapon", "coup|coups de|d …1 <objet_pointu>"),
    Signal("weapon", "<planter> …4 <objet_pointu>"),
    Signal("weapon", "<objet_pointu> …3 planter|plante|plantee|plantes|enfonce|enfoncee"),
    Signal("weapon", "<menacer> …4 avec …2 <objet_pointu>"),
    # --- Danger in the family ----------------------------------------------------------------------
    Signal(
        "family_danger",
        "<proche> il|elle|ils|elles? …12 <coups>",
        blocked_by="autres_auteurs",
        unless=(
            "_ …2 a|au|aux …1 <jeu>",
            "_ …4 quand|lorsque on|nous …1 se|s|nous dispute|disputons|disputent|chamaille|chamaillons|bat|battons",
            # The child is the one who hits (« ma mère m'a punie parce que j'ai frappé… »).
            "<je> …2 <coups>",
            # Fighting each other (« on se bat », « je me suis battue »), being hit (« il se fait frapper »).
            "<se> …1 <coups>",
            "me|m|te|t|nous|vous <etre> …1 <coups>",
            "<je> me|m <coups>",
            "fait|fais|font|faisait|faire|ete <coups>",
            "_ de|d main|fil|pouce|oeil|coeur|foudre|soleil|stress|blues|genie|vent|chance|bol|sang|tete|cote|froid",
            "_ de|d …1 <jeu>",
        ),
    ),
    Signal("family_danger", "<coups> …3 par|de|d <possessif>? <proche>"),
    Signal("family_danger", "maltraitance|maltraitances|maltraite|maltraitee|maltraites|maltraitees|maltraiter"),
    Signal(
        "family_danger", "violence|violences conjugale|conjugales|familiale|familiales|intrafamiliale|intrafamiliales"
    ),
    Signal(
        "family_danger", "<coups> …3 <maison>", clause=True, unless=("<se> …1 <coups>", "_ de|d main|fil|pouce|oeil")
    ),
    Signal("family_danger", "peur|refuse|refuser|plus|pas|jamais …2 <rentrer> …1 <maison>|chez", own_negation=True),
    Signal(
        "family_danger",
        "<enfermer> …4 <lieu_clos>",
        unless=("<se> …1 <enfermer>", "reste|restes|restait|rester …1 <enfermer>", "<je> …1 me|m …1 <enfermer>"),
    ),
    Signal("family_danger", "rien|pas …2 a|de manger", own_negation=True, near="<proche>|<maison>|frigo|frigidaire"),
    Signal("family_danger", "sans manger|nourriture|repas …4 jour|jours|journee|journees|nuit|semaine|semaines"),
    Signal(
        "family_danger",
        "laisse|laisser|laissent|laissait|laissaient seul|seule|seuls …6 jour|jours|nuit|nuits|semaine|semaines",
    ),
    Signal("family_danger", "<proche> …8 <menacer_de> …4 <menace_de_mort>", blocked_by="autres_auteurs"),
    Signal(
        "family_danger",
        "<proche> …10 dormir …3 dehors|voiture|garage|cave|balcon|escalier|escaliers|rue|couloir|cabane|jardin|"
        "niche|palier",
        blocked_by="autres_auteurs",
    ),
    Signal("family_danger", "notre petit? secret|secrets", near="<proche>"),
    Signal("family_danger", "secret|secrets entre nous|eux", near="<proche>"),
)

# --- 4. A relative as the author of sexual violence -------------------------------------------------


@dataclass(frozen=True)
class Agent:
    """When a signal of ``flag`` fires and a word of ``who`` stands before its words, in its clause
    (or a few words before), the same words also raise ``also``."""

    flag: str
    who: str
    also: str


AGENTS: tuple[Agent, ...] = (Agent("sexual", "proche", "family_danger"),)
AGENT_REACH = 6  # words before the signal where the author may stand, whatever the clause

# --- 5. Negations and jokes: they lower a signal to « à vérifier », never silence it ---------------

NEGATIONS = exact("ne|n|pas|jamais|rien|aucun|aucune|sans|ni|nie|nient|nier|nullement")
# Not a negation of what follows: « je sais pas », « pas mal de », « sans arrêt ».
NOT_NEGATIONS = (
    "sais|sait|savais|savait pas|plus",
    "pas mal",
    "sans arret|cesse|doute|raison|compter|fin|reponse",
    # « il n'arrête pas de », « ils arrêtent pas »: they keep on.
    "arrete|arretes|arretent|arretait|arretaient|cesse|cessent|cessait pas|plus",
)
NEGATION_REACH = 6  # words before the signal, in its clause
JOKES = exact("mdr|mdrr|ptdr|lol|xd|haha|hahaha|hihi|jk|😂|🤣|😆|😅|😹") | phrases(
    "je|j", "rigole|plaisante|blague|deconne"
)
