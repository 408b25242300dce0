"""Who may see and do what with cases: need-to-know, decided here and only here.

A case is split into compartments (product brief §5). What a membership reads is the union of
- what its role reads on every case it can see (``ROLE_COMPARTMENTS``), and
- what an active share grants its organisation on that case.

Visibility (``visible_cases``): cell members see every case; school staff see their school's cases;
police, gendarmerie and associations see only cases shared with their organisation; administrators,
analysts and the DPO see none. A case outside ``visible_cases`` is a 404; an action on a visible
case without the right is a 403.

Sharing is decided per compartment (``SHARERS``): the coordination shares the core and the health
part, the parquet (magistrate, délégué du procureur) the judicial part and the core; a share is seen
and revoked only by those who may share everything it carries.

Actions of the action plan (``cases.Action``) are read by the members of their owner organisation
(even when the case itself is not visible to them: they see the action, not the case) and by whoever
reads the action's compartment on its case; a judicial action stays with those who read the judicial
compartment of that case. ``owed_actions`` is the same rule as ``can_see_action``, as a query.
An action outside the core is given only to an organisation that can read that compartment of the
case (``can_own_action``), and reminders about it reach only those for whom ``can_see_action`` holds.

Conflicts of interest: a case whose alleged authors include an adult of a school (teacher, staff)
can be withdrawn from that school's memberships by a coordinator (``ConflictOfInterest``, with a
reason); and a user whose address is that of an adult alleged author on a case never sees it,
whatever their role, with no decision needed. ``visible_cases``, ``visible_actions``,
``owed_actions`` and ``can_see_action`` all apply both (``conflicted_cases``).

Note on ``compartments``: it grants nothing on a case the membership cannot see — cell roles see
every case, and the other roles get compartments only from their own school's cases or an active
share, both of which make the case visible — so the predicates below may be asked about the case of
an action fetched through its owner organisation.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet

from halte.accounts.models import Organisation, OrganisationKind, Role
from halte.cases.enums import Compartment, PersonKind
from halte.cases.enums import Role as InvolvementRole
from halte.cases.models import Action, Case, CaseQuerySet, ConflictOfInterest, Involvement, Share

from .policy import Capability, can_read_case_content, memberships_with

CORE, HEALTH, JUDICIAL, IDENTITY = (
    Compartment.CORE,
    Compartment.HEALTH,
    Compartment.JUDICIAL,
    Compartment.REPORTER_IDENTITY,
)

# The members of the cell: they see every case (its core at least).
CELL_ROLES = frozenset(
    {Role.COORDINATOR, Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE, Role.EDUCATION_REFERENT, Role.SOCIAL_WORKER}
)

ROLE_COMPARTMENTS: dict[str, frozenset[str]] = {
    Role.COORDINATOR: frozenset({CORE, IDENTITY}),
    Role.MAGISTRATE: frozenset({CORE, JUDICIAL}),
    Role.PROSECUTOR_DELEGATE: frozenset({CORE, JUDICIAL}),
    Role.EDUCATION_REFERENT: frozenset({CORE}),
    Role.SOCIAL_WORKER: frozenset({CORE, HEALTH}),
    Role.SCHOOL_STAFF: frozenset({CORE}),
    Role.POLICE_LIAISON: frozenset(),
    Role.ASSOCIATION_WORKER: frozenset(),
}

# The judicial part (qualification, investigation, the parquet's decisions) goes to the parquet's side
# and to the police or gendarmerie unit it works with, never further (product brief, § access).
JUDICIAL_RECIPIENTS = frozenset({OrganisationKind.PARQUET, OrganisationKind.POLICE, OrganisationKind.GENDARMERIE})
# Health notes never go to the police, the gendarmerie or a school.
HEALTH_REFUSED = frozenset({OrganisationKind.POLICE, OrganisationKind.GENDARMERIE, OrganisationKind.SCHOOL})


def _never_shared(kind: str) -> frozenset[str]:
    refused = set()
    if kind in HEALTH_REFUSED:
        refused.add(HEALTH)
    if kind not in JUDICIAL_RECIPIENTS:
        refused.add(JUDICIAL)
    return frozenset(refused)


# Whatever a share says, some organisations never receive some compartments; reads apply it too, so a
# share written before a rule grants nothing the rule refuses. A new kind of organisation gets no
# judicial part until it is named above.
NEVER_SHARED: dict[str, frozenset[str]] = {kind: _never_shared(kind) for kind in OrganisationKind.values}

# Roles allowed to know that a person appears in other cases (presumption of innocence applies).
REPEAT_ROLES = frozenset({Role.COORDINATOR, Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE, Role.EDUCATION_REFERENT})


def _shared_with(organisation):
    return Exists(Share.objects.active().filter(case=OuterRef("pk"), organisation=organisation))


# What list pages prefetch so that ``compartments`` runs no query per case.
COMPARTMENT_PREFETCH = ("shares", "other_schools")


def _conflicted(membership, case_ref=None):
    """The condition "this case is withdrawn from this membership": its organisation was set aside,
    or its user is an adult named as alleged author (matched by address)."""
    case_ref = case_ref if case_ref is not None else OuterRef("pk")
    set_aside = Exists(ConflictOfInterest.objects.filter(case_id=case_ref, organisation_id=membership.organisation_id))
    named = Exists(
        Involvement.objects.filter(
            case_id=case_ref,
            role=InvolvementRole.ALLEGED_AUTHOR,
            person__kind=PersonKind.ADULT,
            person__email__iexact=membership.user.email,
        )
    )
    return set_aside | named


def conflicted_cases(membership) -> CaseQuerySet:
    """Cases withdrawn from this membership for a conflict of interest."""
    return Case.objects.filter(_conflicted(membership))


def is_conflicted(membership, case: Case) -> bool:
    return conflicted_cases(membership).filter(pk=case.pk).exists()


def visible_cases(membership) -> CaseQuerySet:
    if not can_read_case_content(membership):
        return Case.objects.none()
    return _visible_cases(membership).exclude(_conflicted(membership))


def _visible_cases(membership) -> CaseQuerySet:
    if membership.role in CELL_ROLES:
        return Case.objects.all()
    shared = _shared_with(membership.organisation)
    school = membership.school
    if membership.role == Role.SCHOOL_STAFF and school is not None:
        # The school's cases, those it is another school of, and those shared with it: one UNION of
        # three indexed reads (an OR of them would make PostgreSQL read every case).
        ids = (
            Case.objects.filter(school=school)
            .order_by()
            .values("pk")
            .union(
                Case.other_schools.through.objects.filter(school=school).order_by().values("case_id"),
                Share.objects.active().filter(organisation=membership.organisation).order_by().values("case_id"),
            )
        )
        return Case.objects.filter(pk__in=ids)
    return Case.objects.filter(shared)


def shareable_compartments(organisation) -> list[str]:
    refused = NEVER_SHARED.get(organisation.kind, frozenset())
    return [c for c in (CORE, HEALTH, JUDICIAL) if c not in refused]


def compartments(membership, case: Case) -> frozenset[str]:
    """The compartments of `case` this membership reads. Assumes the case is in visible_cases."""
    if not can_read_case_content(membership):
        return frozenset()
    granted = set(ROLE_COMPARTMENTS.get(membership.role, frozenset()))
    if membership.role == Role.SCHOOL_STAFF and not is_school_case(membership, case):
        granted.discard(CORE)
    for share in _active_shares(case, membership.organisation):
        granted.update(share.compartments)
    granted -= NEVER_SHARED.get(membership.organisation.kind, frozenset())
    if membership.role == Role.SCHOOL_STAFF:
        granted &= {CORE}
    return frozenset(granted)


def is_school_case(membership, case: Case) -> bool:
    """The case belongs to the membership's school (its main school or one of its other schools)."""
    school = membership.school
    if school is None:
        return False
    if case.school_id == school.pk:
        return True
    # Iterated rather than filtered: no query when list pages prefetch "other_schools".
    return any(other.pk == school.pk for other in case.other_schools.all())


def _active_shares(case: Case, organisation):
    return [
        s
        for s in case.shares.all()
        if s.organisation_id == organisation.pk and s.revoked_at is None and s.expires_on >= _today()
    ]


def _today():
    from django.utils import timezone

    return timezone.localdate()


def can_read(membership, case: Case, compartment: str) -> bool:
    return compartment in compartments(membership, case)


def is_on_case(membership, case: Case) -> bool:
    """Lead or co-worker of the case."""
    if case.lead_id == membership.pk:
        return True
    return case.co_workers.filter(pk=membership.pk).exists()


def can_triage(membership) -> bool:
    return membership is not None and membership.role == Role.COORDINATOR and membership.is_active


def can_manage(membership, case: Case) -> bool:
    """Change the case itself: state, lead, summary, people, links, assessments."""
    if not can_read(membership, case, CORE):
        return False
    if membership.role == Role.COORDINATOR:
        return True
    return membership.role in CELL_ROLES and is_on_case(membership, case)


# Who shares which compartment of a case with another organisation (product brief §5). The
# coordination shares the core and the health part (an information préoccupante, the shared social
# secret) but never the judicial part, which it does not read; the judicial part is the parquet's: the
# magistrate and the délégué du procureur share it (with a police or gendarmerie unit, say), together
# with the core they read when the investigators need the facts and the people.
SHARERS: dict[str, frozenset[str]] = {
    CORE: frozenset({Role.COORDINATOR, Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE}),
    HEALTH: frozenset({Role.COORDINATOR}),
    JUDICIAL: frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE}),
}


def can_share_compartment(membership, case: Case, compartment: str) -> bool:
    """Share (or revoke a share of) one compartment of the case: its sharers (``SHARERS``), on a case
    whose core they read — and the judicial part only by those who read it on this case."""
    if membership.role not in SHARERS.get(compartment, frozenset()):
        return False
    if not can_read(membership, case, CORE):
        return False
    if compartment == JUDICIAL:
        return can_read(membership, case, JUDICIAL)
    return True


def share_compartments_for(membership, case: Case) -> list[str]:
    """The compartments of the case this member may share, in the usual order."""
    return [c for c in (CORE, HEALTH, JUDICIAL) if can_share_compartment(membership, case, c)]


def can_share(membership, case: Case) -> bool:
    """Share some compartment of the case: the coordinator (core, health), the magistrate and the
    délégué du procureur (core, judicial)."""
    return bool(share_compartments_for(membership, case))


def can_manage_share(membership, share: Share) -> bool:
    """See a share of the case in the sharing section and revoke it: those who may share every
    compartment it carries. A share of the judicial part is therefore never listed to the
    coordination (who does not learn it exists) and is revoked by the parquet only."""
    return all(can_share_compartment(membership, share.case, c) for c in share.compartments)


def shared_with_names(membership, case: Case) -> list[str]:
    """The organisations the case is shared with, as the sharing section lists them to this member:
    only the shares it may manage (a judicial share does not exist for the coordination)."""
    shares = case.shares.active().select_related("organisation", "case")
    return sorted({share.organisation.name for share in shares if can_manage_share(membership, share)})


def can_write_note(membership, case: Case, compartment: str) -> bool:
    if compartment == IDENTITY:
        return False
    if not can_read(membership, case, compartment):
        return False
    # Schools follow their cases through actions; their notes go through the cell.
    return membership.role != Role.SCHOOL_STAFF


def can_see_repeats(membership, case: Case) -> bool:
    return membership.role in REPEAT_ROLES and can_read(membership, case, CORE)


def can_see_access_log(membership, case: Case) -> bool:
    return membership.role == Role.COORDINATOR and can_read(membership, case, CORE)


def organisations_hidden_from_log(membership, case: Case) -> set[int]:
    """Organisations whose visits the access log does not list to this member: those that came through
    a share (live or revoked) it may not see, and through no share it may see. Listing their visits
    would tell the coordination of a judicial share that exists nowhere else for her."""
    seen: set[int] = set()
    unseen: set[int] = set()
    for share in case.shares.select_related("case"):
        (seen if can_manage_share(membership, share) else unseen).add(share.organisation_id)
    return unseen - seen


# Journal entries that touch a compartment by their nature rather than by their detail.
_JOURNAL_PAGES = {"judicial_facts": JUDICIAL}
_JOURNAL_ACTIONS = {"judicial.facts_changed": JUDICIAL}


def journal_entry_compartments(action: str, detail: dict, action_compartments: dict[str, str]) -> set[str]:
    """The compartments a journal entry on a case tells something about: those named in its detail
    (``compartments``, ``compartment``), those of its page or its kind, that of the action it concerns
    (``action_compartments``: action public id -> compartment)."""
    touched: set[str] = set()
    named = detail.get("compartments")
    if isinstance(named, list):
        touched.update(str(name) for name in named)
    if isinstance(detail.get("compartment"), str):
        touched.add(detail["compartment"])
    if detail.get("page") in _JOURNAL_PAGES:
        touched.add(_JOURNAL_PAGES[detail["page"]])
    if action in _JOURNAL_ACTIONS:
        touched.add(_JOURNAL_ACTIONS[action])
    for key in ("action", "action_id"):
        if detail.get(key) in action_compartments:
            touched.add(action_compartments[detail[key]])
    return touched


def can_see_journal_entry(membership, case: Case, touched: set[str]) -> bool:
    """The access log shows what an entry was only to those who read every compartment it touches; to
    the others it is a mere visit of the case (they learn who came, not what of a part they do not
    read was consulted or written). A read of the case page by the parquet touches the judicial part
    only because the parquet reads it: what the viewer sees there is the visit, never the content."""
    return touched <= compartments(membership, case)


# --- Action plans, follow-ups, closure, the judicial "do not disclose" flag ---------------------------

# Justice roles who decide that nothing may be disclosed to the families while the investigation runs.
DISCLOSURE_ROLES = frozenset({Role.MAGISTRATE, Role.PROSECUTOR_DELEGATE})


def can_add_action(membership, case: Case) -> bool:
    """Give an organisation something to do on the case: those who manage the case."""
    return can_manage(membership, case)


def can_see_action(membership, action: Action) -> bool:
    """Read an action: members of its owner organisation (core actions, whether or not they see the
    case), and whoever reads the action's compartment on its case."""
    if not can_read_case_content(membership):
        return False
    if is_conflicted(membership, action.case):
        return False
    if action.compartment != CORE:
        return can_read(membership, action.case, action.compartment)
    if owes_action(membership, action):
        return True
    return can_read(membership, action.case, CORE)


def owes_action(membership, action: Action) -> bool:
    """The action is owed by the membership's organisation."""
    return action.owner_organisation_id == membership.organisation_id


def can_own_action(organisation, case: Case, compartment: str) -> bool:
    """Give an organisation an action in a compartment: a core action goes to any organisation (its
    members see the action, not the case); an action of another compartment only to an organisation
    that can read that compartment of the case — never one whose kind never receives it
    (``NEVER_SHARED``), and only one with a member whose role reads it, or an active share of it."""
    if compartment == CORE:
        return True
    if compartment in NEVER_SHARED.get(organisation.kind, frozenset()):
        return False
    if _has_member_reading(organisation, compartment):
        return True
    return _shares_compartment(organisation, case, compartment)


def _has_member_reading(organisation, compartment: str) -> bool:
    """An active member of the organisation whose role reads the compartment on the cases it sees."""
    roles = [role for role, granted in ROLE_COMPARTMENTS.items() if compartment in granted]
    return memberships_with(Capability.READ_CASES).filter(organisation=organisation, role__in=roles).exists()


def _shares_compartment(organisation, case: Case, compartment: str) -> bool:
    shares = Share.objects.active().filter(case=case, organisation=organisation)
    return any(compartment in share.compartments for share in shares)


def can_complete_action(membership, action: Action) -> bool:
    """Complete an action: members of its owner organisation who read it, and those who manage its
    case (and read it)."""
    if not can_see_action(membership, action):
        return False
    if owes_action(membership, action):
        return True
    return can_manage(membership, action.case)


def can_cancel_action(membership, action: Action) -> bool:
    """Cancel an action: only those who manage its case (and read the action). Its owner organisation
    completes it or reports a difficulty; it does not undo what the cell decided."""
    return can_see_action(membership, action) and can_manage(membership, action.case)


def visible_actions(membership) -> QuerySet[Action]:
    """Actions a membership may know about: its organisation's, and those of the cases it sees.
    Finer: ``can_see_action`` (an action outside it is a 404 too)."""
    if not can_read_case_content(membership):
        return Action.objects.none()
    owned = Q(owner_organisation=membership.organisation)
    on_visible_case = Q(case__in=visible_cases(membership))
    return Action.objects.filter(owned | on_visible_case).exclude(_conflicted(membership, OuterRef("case_id")))


def _shared_case_ids(membership) -> dict[str, list[int]]:
    """Case ids shared with the membership's organisation, per compartment (one query)."""
    by_compartment: dict[str, list[int]] = {}
    for share in Share.objects.active().filter(organisation=membership.organisation):
        for compartment in share.compartments:
            by_compartment.setdefault(compartment, []).append(share.case_id)
    return by_compartment


def owed_actions(membership) -> QuerySet[Action]:
    """« Nos actions »: the actions owed by the membership's organisation that it may read
    (``can_see_action`` as a query: judicial and health actions only on cases where it reads them)."""
    if not can_read_case_content(membership):
        return Action.objects.none()
    readable = Q(compartment=CORE)
    refused = NEVER_SHARED.get(membership.organisation.kind, frozenset())
    by_role = ROLE_COMPARTMENTS.get(membership.role, frozenset())
    shared: dict[str, list[int]] | None = None
    for compartment in (HEALTH, JUDICIAL):
        if membership.role == Role.SCHOOL_STAFF:
            continue  # schools read the core only
        if compartment in refused:
            continue
        if compartment in by_role:
            readable |= Q(compartment=compartment, case__in=visible_cases(membership))
            continue
        shared = _shared_case_ids(membership) if shared is None else shared
        readable |= Q(compartment=compartment, case_id__in=shared.get(compartment, []))
    mine = Action.objects.filter(owner_organisation=membership.organisation).filter(readable)
    return mine.exclude(_conflicted(membership, OuterRef("case_id")))


def readable_actions(membership) -> Q:
    """``action.compartment in compartments(membership, action.case)`` as a filter on the actions of
    cases the membership sees (one query for its organisation's active shares): the clocks of actions
    that « Mes échéances » shows, computed by the database instead of case by case."""
    if not can_read_case_content(membership):
        return Q(pk__in=[])
    refused = NEVER_SHARED.get(membership.organisation.kind, frozenset())
    by_role = ROLE_COMPARTMENTS.get(membership.role, frozenset())
    shared = _shared_case_ids(membership)
    school = membership.school
    readable = Q(pk__in=[])
    for compartment in Compartment.values:
        if compartment in refused or (membership.role == Role.SCHOOL_STAFF and compartment != CORE):
            continue  # schools read the core only
        granted = Q(case_id__in=shared.get(compartment, []))
        if compartment in by_role and membership.role != Role.SCHOOL_STAFF:
            granted = Q()
        elif compartment in by_role and school is not None:
            other_school = Case.other_schools.through.objects.filter(case_id=OuterRef("case_id"), school=school)
            granted |= Q(case__school=school) | Q(Exists(other_school))
        readable |= Q(compartment=compartment) & granted
    return readable


def can_open_action(membership, action: Action) -> bool:
    """The action's own page (``/actions/<id>/``): whoever may read the action (``can_see_action``) —
    the members of its owner organisation, with or without access to the case, and those who read
    the action's compartment on its case. Another organisation, a conflicted one: no (404)."""
    return can_see_action(membership, action)


def can_open_case_of_action(membership, action: Action) -> bool:
    """The action page links to its case only for a member who sees the case (through their role,
    their school or an active share) and reads the action's compartment there."""
    if not visible_cases(membership).filter(pk=action.case_id).exists():
        return False
    return can_read(membership, action.case, action.compartment)


def can_report_difficulty(membership, action: Action) -> bool:
    """Tell the cell that an open action cannot be done as asked: the members of its owner organisation
    who read it."""
    return can_see_action(membership, action) and owes_action(membership, action)


def organisation_reads(organisation, case: Case, compartment: str) -> bool:
    """Some active member of the organisation who reads cases reads this compartment of the case (its
    role, its school or an active share), and the case is not withdrawn from them. False: an action
    given to that organisation needs a share, or it is done from the action page alone."""
    members = memberships_with(Capability.READ_CASES).filter(organisation=organisation)
    for member in members:
        if not visible_cases(member).filter(pk=case.pk).exists():
            continue
        if can_read(member, case, compartment):
            return True
    return False


def proposable_compartments(organisation, compartment: str) -> list[str]:
    """What the share proposed with an action prefills: the action's compartment, unless that kind of
    organisation never receives it (``NEVER_SHARED``)."""
    return [c for c in shareable_compartments(organisation) if c == compartment]


def can_record_follow_up(membership, case: Case) -> bool:
    """Record a follow-up checkpoint (J+7, J+15…) or schedule an extra one: those who manage the case,
    and the staff of the case's own school (its school or one of its other schools), who meet the
    pupil and hear how things are going — never staff of another school, even through a share."""
    if can_manage(membership, case):
        return True
    return (
        membership.role == Role.SCHOOL_STAFF and can_read(membership, case, CORE) and is_school_case(membership, case)
    )


def can_set_disclosure(membership, case: Case) -> bool:
    """Set or lift "do not disclose to the family": the magistrate and the délégué du procureur, on
    cases whose judicial compartment they read."""
    if membership.role not in DISCLOSURE_ROLES:
        return False
    return can_read(membership, case, JUDICIAL)


# --- Conflicts of interest -----------------------------------------------------------------------


def can_declare_conflict(membership, case: Case) -> bool:
    """Withdraw a case from an organisation: the coordinator, on a case they read."""
    return membership.role == Role.COORDINATOR and can_read(membership, case, CORE)


def conflict_candidates(case: Case):
    """The organisations a coordinator may set aside on a case: the schools of the adults named as
    alleged authors (the case's own school when the record names none), not yet set aside."""
    adults = Involvement.objects.filter(case=case, role=InvolvementRole.ALLEGED_AUTHOR, person__kind=PersonKind.ADULT)
    school_ids = {school_id or case.school_id for school_id in adults.values_list("person__school_id", flat=True)}
    school_ids.discard(None)
    already = ConflictOfInterest.objects.filter(case=case).values_list("organisation_id", flat=True)
    return Organisation.objects.filter(kind=OrganisationKind.SCHOOL, school_id__in=school_ids).exclude(pk__in=already)


def without_conflicts(memberships, case: Case) -> list:
    """Audiences about a case (who is told, who is picked) minus those it is withdrawn from."""
    withdrawn = set(ConflictOfInterest.objects.filter(case=case).values_list("organisation_id", flat=True))
    named = {
        email.lower()
        for email in Involvement.objects.filter(
            case=case, role=InvolvementRole.ALLEGED_AUTHOR, person__kind=PersonKind.ADULT
        ).values_list("person__email", flat=True)
        if email
    }
    return [m for m in memberships if m.organisation_id not in withdrawn and m.user.email.lower() not in named]


def action_rights(membership, case: Case, actions) -> tuple[set[int], set[int]]:
    """The ids of the case's actions that ``can_complete_action`` allows, and of those that
    ``can_cancel_action`` allows, decided once for the case (one conflict check, one reading of its
    compartments and of the case's team) rather than per action: the case page lists them all."""
    if not can_read_case_content(membership) or is_conflicted(membership, case):
        return set(), set()
    readable = compartments(membership, case)
    manages = can_manage(membership, case)
    completable = set()
    for action in actions:
        owes = owes_action(membership, action)
        sees = (owes or CORE in readable) if action.compartment == CORE else (action.compartment in readable)
        if sees and (owes or manages):
            completable.add(action.pk)
    return completable, (set(completable) if manages else set())
