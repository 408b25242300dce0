from django.urls import path

from .views import custody, public, staff

app_name = "reports"

urlpatterns = [
    # Public, no login.
    path("urgence/", public.danger, name="danger"),
    path("sortie/", public.quick_exit, name="quick_exit"),
    path("signaler/", public.start, name="start"),
    path("signaler/maintenir/", public.keep_alive, name="keep_alive"),
    path("signaler/<slug:slug>/", public.step, name="step"),
    path("suivi/", public.mailbox_open, name="mailbox_open"),
    path("suivi/messages/", public.mailbox, name="mailbox"),
    path("suivi/quitter/", public.mailbox_close, name="mailbox_close"),
    # Staff.
    path("signalements/", staff.queue, name="queue"),
    path("signalements/nouveau/", staff.staff_new, name="staff_new"),
    path("signalements/mes-signalements/", staff.mine, name="mine"),
    path("signalements/<uuid:public_id>/", staff.detail, name="detail"),
    path("signalements/<uuid:public_id>/repondre/", staff.reply, name="reply"),
    path("signalements/<uuid:public_id>/prendre-en-charge/", staff.take_charge, name="take_charge"),
    path(
        "signalements/<uuid:public_id>/pieces/<uuid:evidence_id>/original/",
        staff.evidence_original,
        name="evidence_original",
    ),
    path(
        "signalements/<uuid:public_id>/pieces/<uuid:evidence_id>/apercu/",
        staff.evidence_display,
        name="evidence_display",
    ),
    # The parquet's custody pack of a case's evidence.
    path("dossiers/<uuid:public_id>/scelle-des-pieces/", custody.custody_pack, name="custody_pack"),
]
