"""Second factor: TOTP devices and single-use recovery codes, on top of django-otp.

Every staff account must have a confirmed TOTP device; there is no setting that turns this off.
Recovery codes are shown once and kept only as a keyed digest in django-otp's static tokens, so a
copy of the database does not reveal them.
"""

import base64
import hashlib
import hmac
import secrets
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "Application d'authentification"
RECOVERY_DEVICE_NAME = "Codes de secours"


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def pending_totp(user) -> TOTPDevice:
    """The unconfirmed device being enrolled, created on first call and reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii")


def qr_code_svg(device: TOTPDevice) -> str:
    """An inline SVG of the otpauth:// URI, so no image leaves the server and the CSP stays strict."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    # Drop the XML prolog: the SVG is embedded in HTML.
    return svg[svg.index("<svg") :]


def new_recovery_code() -> str:
    raw = secrets.token_hex(6)  # 12 hex characters, 48 bits
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def recovery_digest(code: str) -> str:
    """Keyed digest of a recovery code, sized for django-otp's 16-character token column."""
    normalised = code.replace("-", "").replace(" ", "").lower()
    key = str(settings.SECRET_KEY).encode("utf-8")
    return hmac.new(key, normalised.encode("ascii", "replace"), hashlib.sha256).hexdigest()[:16]


@transaction.atomic
def renew_recovery_codes(user) -> list[str]:
    """Replace all recovery codes of a user and return the new ones (shown once, never stored clear)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME)
    device.token_set.all().delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    for code in codes:
        StaticToken.objects.create(device=device, token=recovery_digest(code))
    return codes


def verify(user, token: str):
    """The device that accepts this token (TOTP first, then a recovery code), or None.

    django-otp throttles each device after failures, so guessing is slowed down per account.
    """
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, StaticDevice):
            continue
        if device.verify_is_allowed()[0] and device.verify_token(token):
            return device
    digest = recovery_digest(token)
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, StaticDevice) and device.verify_is_allowed()[0] and device.verify_token(digest):
            return device
    return None
