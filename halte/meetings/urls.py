"""Pages of the cell's meetings, mounted under /cellule/."""

from django.urls import path

from . import views

app_name = "meetings"

MEETING = "reunions/<uuid:public_id>/"
ITEM = MEETING + "ordre-du-jour/<uuid:item_id>/"

urlpatterns = [
    path("reunions/", views.meeting_list, name="list"),
    path("reunions/nouvelle/", views.schedule, name="schedule"),
    path("reunions/deja-tenue/", views.record_held, name="record_held"),
    path("reunions/inscrire/<uuid:case_id>/", views.enrol, name="enrol"),
    path(MEETING, views.detail, name="detail"),
    path(MEETING + "modifier/", views.edit, name="edit"),
    path(MEETING + "annuler/", views.cancel, name="cancel"),
    path(MEETING + "tenue/", views.mark_held, name="mark_held"),
    path(MEETING + "ordre-du-jour/proposition/", views.accept_proposal, name="accept_proposal"),
    path(MEETING + "ordre-du-jour/ajouter/", views.add_item, name="add_item"),
    path(ITEM + "retirer/", views.remove_item, name="remove_item"),
    path(ITEM + "monter/", views.move_up, name="move_up"),
    path(ITEM + "descendre/", views.move_down, name="move_down"),
    path(MEETING + "invitations/", views.invitations, name="invitations"),
    path(MEETING + "presences/", views.attendance, name="attendance"),
    path(MEETING + "invitation.ics", views.invitation_ics, name="invitation_ics"),
    path(MEETING + "points/<uuid:item_id>/", views.item_detail, name="item"),
]
