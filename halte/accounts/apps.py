from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "halte.accounts"
    label = "accounts"
    verbose_name = _("Comptes et structures")

    def ready(self):
        # An administrator must never read or add someone's second factor: django-otp's device
        # admins would allow both, unjournaled. Devices are only ever enrolled by their owner.
        from django.contrib import admin
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        for model in (TOTPDevice, StaticDevice):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
