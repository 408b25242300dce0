from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("", views.login, name="login"),
    path("verification/", views.otp_verify, name="otp_verify"),
    path("double-authentification/", views.otp_setup, name="otp_setup"),
    path("codes-de-secours/", views.recovery_codes, name="recovery_codes"),
    path("structure/", views.choose_membership, name="choose_membership"),
    path("sans-structure/", views.no_membership, name="no_membership"),
    path("deconnexion/", views.logout, name="logout"),
    path("mon-compte/", views.account, name="account"),
    path("mot-de-passe/", views.password_reset, name="password_reset"),
    path("mot-de-passe/envoye/", views.password_reset_done, name="password_reset_done"),
    path("mot-de-passe/<uidb64>/<token>/", views.password_reset_confirm, name="password_reset_confirm"),
    path("mot-de-passe/termine/", views.password_reset_complete, name="password_reset_complete"),
    path("proconnect/", views.proconnect_start, name="proconnect_start"),
    path("proconnect/retour/", views.proconnect_callback, name="proconnect_callback"),
    path("proconnect/deconnecte/", views.proconnect_logged_out, name="proconnect_logged_out"),
]
