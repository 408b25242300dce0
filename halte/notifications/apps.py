from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "halte.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from halte.accounts.models import Membership, Organisation, User

        post_save.connect(_membership_saved, sender=Membership, dispatch_uid="notifications.membership_ended")
        post_save.connect(_organisation_saved, sender=Organisation, dispatch_uid="notifications.organisation_ended")
        post_save.connect(_user_saved, sender=User, dispatch_uid="notifications.user_ended")


# Ending a membership (or the organisation, or the person) hides its notifications for good: given
# back later, the membership starts with none of the old ones. The inbox's query also refuses an
# ended membership, so a bulk update that sends no signal still shows nothing.


def _membership_saved(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        from .service import hide_for_ended

        hide_for_ended([instance.pk])


def _organisation_saved(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        from .service import hide_for_ended

        hide_for_ended(instance.memberships.values("pk"))


def _user_saved(sender, instance, **kwargs) -> None:
    if not instance.is_active:
        from .service import hide_for_ended

        hide_for_ended(instance.memberships.values("pk"))
