from django.urls import path

from . import conflicts, views, views_people, views_plan

app_name = "cases"

urlpatterns = [
    path("signalements/<uuid:public_id>/trier/", views.triage, name="triage"),
    path("dossiers/", views.case_list, name="list"),
    path("echeances/", views.deadlines, name="deadlines"),
    path("dossiers/<uuid:public_id>/", views.detail, name="detail"),
    path("dossiers/<uuid:public_id>/consultations/", views.access_log, name="access_log"),
    path("dossiers/<uuid:public_id>/imprimer/", views.print_view, name="print"),
    path("dossiers/<uuid:public_id>/etat/<slug:name>/", views.do_transition, name="transition"),
    path("dossiers/<uuid:public_id>/resume/", views.edit_summary, name="summary"),
    path("dossiers/<uuid:public_id>/equipe/", views.edit_assignment, name="assign"),
    path("dossiers/<uuid:public_id>/gravite/", views.reassess, name="reassess"),
    path("dossiers/<uuid:public_id>/partages/", views.add_share, name="share"),
    path("dossiers/<uuid:public_id>/partages/<uuid:share_id>/revoquer/", views.revoke_share, name="revoke_share"),
    path("dossiers/<uuid:public_id>/notes/", views.add_note, name="note"),
    path("dossiers/<uuid:public_id>/personnes/", views.add_person, name="add_person"),
    path("dossiers/<uuid:public_id>/suivis/<uuid:follow_up_id>/", views.record_follow_up, name="follow_up"),
    path("dossiers/<uuid:public_id>/liens/", views.link_case, name="link"),
    path("dossiers/<uuid:public_id>/actions/", views_plan.add_action, name="add_action"),
    path("dossiers/<uuid:public_id>/suivis/ajouter/", views_plan.add_follow_up, name="add_follow_up"),
    path(
        "dossiers/<uuid:public_id>/personnes/<uuid:person_id>/representants/",
        views_people.guardian_add,
        name="guardian_add",
    ),
    path(
        "dossiers/<uuid:public_id>/personnes/<uuid:person_id>/coordonnees/",
        views_people.person_contact,
        name="person_contact",
    ),
    path("dossiers/<uuid:public_id>/conflit/", conflicts.declare, name="conflict"),
    path("actions/", views_plan.my_actions, name="my_actions"),
    path("actions/<uuid:action_id>/", views_plan.action_detail, name="action"),
    path("actions/<uuid:action_id>/faite/", views_plan.complete_action, name="complete_action"),
    path("actions/<uuid:action_id>/difficulte/", views_plan.report_difficulty, name="report_difficulty"),
    path("actions/<uuid:action_id>/annuler/", views_plan.cancel_action, name="cancel_action"),
]
