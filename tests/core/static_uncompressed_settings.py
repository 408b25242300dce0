"""Production settings with whitenoise's compression switched off, for the serving test only.

Compressing ten thousand static files (gzip and brotli) takes minutes; the test needs the manifest
of hashed names, which this keeps, not the compressed copies. Everything else is production.
"""

from halte.settings import *  # noqa: F403

_EXTENSIONS = "css js mjs map json svg md scss txt html webmanifest ico png jpg jpeg gif webp woff woff2 ttf eot otf"
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = _EXTENSIONS.split()
