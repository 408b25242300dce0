"""Small rules of written French shared by pages, messages and documents."""

_ELIDED_BEFORE = "aàâäeéèêëiîïoôöuùûüyhAÀÂÄEÉÈÊËIÎÏOÔÖUÙÛÜYH"


def of_name(name) -> str:
    """« de » before a name, elided before a vowel or a mute h as French writes it: « d’Enzo »,
    « d’Hugo », « de Lucas ». The twin of the templates' ``of_name`` filter."""
    value = str(name or "").strip()
    return f"d’{value}" if value[:1] in _ELIDED_BEFORE and value else f"de {value}"
