"""Shared fixtures. The `people` fixture is the cast of the access matrix used by every view test:
one member per role, two schools (A and B) with their own staff, and the partner organisations."""

from dataclasses import dataclass, fields

import pytest
from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.access.middleware import MEMBERSHIP_SESSION_KEY
from halte.accounts.models import Membership, Organisation, OrganisationKind, Role

from .factories import MembershipFactory, OrganisationFactory, SchoolFactory
from .s3 import object_store, s3_server  # noqa: F401 - fixtures: the local S3-compatible server


@pytest.fixture(autouse=True)
def _strict_templates(settings):
    """An undefined template variable is a bug: make it fail loudly in tests."""
    for engine in settings.TEMPLATES:
        engine.setdefault("OPTIONS", {})["string_if_invalid"] = InvalidVariable("%s")


class InvalidVariable(str):
    def __mod__(self, other):
        raise NameError(f"Undefined template variable: {other!r}")

    def __bool__(self):  # `{% if missing %}` stays legal, as in Django
        return False


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _no_journal_checkpoints(settings):
    """The periodic pass writes no checkpoint file unless a test asks (tests/audit/test_checkpoints.py)."""
    settings.HALTE_JOURNAL_CHECKPOINT_DIR = None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test databases, dropped at the end of the run even if a test left a connection open.

    A thread or a child process of a test (races, workers, servers) may still hold a session on the test
    database when the run ends; PostgreSQL then refuses to drop it and the run fails after every test
    passed. Such sessions are ended first, and named, so that the test that leaked one can be found."""
    yield
    from django.db import connections

    for connection in connections.all():
        if connection.vendor != "postgresql":
            continue
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, application_name, left(query, 120) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            leaked = cursor.fetchall()
            for pid, application, query in leaked:
                print(f"\nsession left open on the test database: pid={pid} app={application!r} last={query!r}")
                cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


@pytest.fixture(scope="session", autouse=True)
def _media_of_this_test_process(tmp_path_factory):
    """Each test process keeps its files in a folder of its own, new for the run: the periodic pass
    deletes files that no row of *its* database refers to, so a folder shared between processes (or
    left over from an earlier run) would be swept by another process's pass."""
    original = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    yield
    settings.MEDIA_ROOT = original


# Written by migrate from the models alone, and never by a test: the flush between transactional tests
# keeps them, so that it need not send post_migrate to write them all again (0.3 s a test).
KEPT_BY_THE_FLUSH = {"django_content_type", "auth_permission"}


def empty_the_database() -> None:
    """What a transactional test does at its end (see below), for fixtures that commit on their own."""
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)


@pytest.fixture(scope="session", autouse=True)
def _fast_flush_past_the_journal_guards():
    """Tests with real commits (live server, races) end with a flush of every table.

    On PostgreSQL the journal's triggers refuse it: the test database's owner (a superuser) lets the flush
    through as a replica would; the application never does (see docs/architecture.md). The flush also
    deletes rows instead of truncating tables: a TRUNCATE of some eighty tables gives each table and
    index a new file, about 3 s a test, where deleting the few rows a test wrote takes milliseconds (the
    replica role leaves foreign keys unchecked, so the order does not matter). A flush that asks for its
    sequences reset is left as Django writes it."""
    from django.core.management.commands import flush
    from django.db.backends.postgresql.operations import DatabaseOperations

    original_ops_flush = DatabaseOperations.sql_flush
    original_sql_flush = flush.sql_flush
    original_emit = flush.emit_post_migrate_signal

    def ops_sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables:
            return []
        if reset_sequences:
            statements = original_ops_flush(self, style, tables, reset_sequences=True, allow_cascade=allow_cascade)
        else:
            statements = [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(t))};" for t in tables]
        return ["SET LOCAL session_replication_role = replica", *statements]

    kept = {"tables": False}

    def sql_flush(style, connection, reset_sequences=True, allow_cascade=False):
        kept["tables"] = not reset_sequences
        if reset_sequences:
            return original_sql_flush(style, connection, reset_sequences=True, allow_cascade=allow_cascade)
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        emptied = [table for table in tables if table not in KEPT_BY_THE_FLUSH]
        return connection.ops.sql_flush(style, emptied, reset_sequences=False, allow_cascade=allow_cascade)

    def emit_post_migrate_signal(*args, **kwargs):
        if not kept["tables"]:
            original_emit(*args, **kwargs)

    DatabaseOperations.sql_flush = ops_sql_flush
    flush.sql_flush = sql_flush
    flush.emit_post_migrate_signal = emit_post_migrate_signal
    yield
    DatabaseOperations.sql_flush = original_ops_flush
    flush.sql_flush = original_sql_flush
    flush.emit_post_migrate_signal = original_emit


@pytest.fixture(scope="session", autouse=True)
def _live_server_threads_close_only_their_own_connections():
    """The live server's request threads close their database connections when a request ends. On the
    in-memory SQLite database the connection is the test process's own, lent to the server's threads
    (Django never really closes it), and a request still being served when the browser of a finished
    test let go of it — a stylesheet, a font — then fails the connection's thread check in a thread
    nobody waits for. The threads close only the connections that are theirs."""
    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db import connections

    original = ThreadedWSGIServer._close_connections

    def close_own_connections(self):
        lent = set(self.connections_override or {})
        for connection in connections.all(initialized_only=True):
            if connection.alias not in lent:
                connection.close()

    ThreadedWSGIServer._close_connections = close_own_connections
    yield
    ThreadedWSGIServer._close_connections = original


@pytest.fixture(scope="session", autouse=True)
def _static_files_listed_once():
    """Each test client builds its own request handler, and WhiteNoise's middleware then lists and stats
    every static file (about a quarter of a second) — once per test. Production builds it once per
    worker process. Here the listing is made once per test process and set of settings, then shared."""
    from whitenoise.middleware import WhiteNoiseMiddleware

    original = WhiteNoiseMiddleware.__init__
    listed: dict[tuple, dict] = {}

    def __init__(self, get_response=None, settings=settings):
        key = tuple(
            str(getattr(settings, name, None))
            for name in (
                "STATIC_ROOT",
                "STATIC_URL",
                "DEBUG",
                "WHITENOISE_USE_FINDERS",
                "WHITENOISE_AUTOREFRESH",
                "WHITENOISE_MAX_AGE",
                "WHITENOISE_ROOT",
                "STATICFILES_DIRS",
            )
        )
        if key not in listed:
            original(self, get_response, settings)
            listed[key] = self.files
            return
        self.add_files = self.add_files_from_finders = lambda *args, **kwargs: None
        original(self, get_response, settings)
        del self.add_files, self.add_files_from_finders
        self.files = listed[key]

    WhiteNoiseMiddleware.__init__ = __init__
    yield
    WhiteNoiseMiddleware.__init__ = original


@dataclass
class People:
    """One active membership per role, plus school staff of two different schools."""

    coordinator: Membership
    magistrate: Membership
    prosecutor_delegate: Membership
    education_referent: Membership
    social_worker: Membership
    school_a_staff: Membership
    school_b_staff: Membership
    police: Membership
    association_worker: Membership
    analyst: Membership
    dpo: Membership
    admin: Membership

    def all(self) -> dict[str, Membership]:
        return dict(vars(self))


# Every member of the cast, by name, in the order of People: the rows of every access matrix.
CAST = [field.name for field in fields(People)]


@pytest.fixture
def people(db) -> People:
    dsden = OrganisationFactory(name="DSDEN de la Somme", kind=OrganisationKind.EDUCATION)
    parquet = OrganisationFactory(name="Parquet d'Amiens", kind=OrganisationKind.PARQUET)
    police = OrganisationFactory(name="DIPN de la Somme", kind=OrganisationKind.POLICE)
    departement = OrganisationFactory(name="Département de la Somme", kind=OrganisationKind.DEPARTEMENT)
    region = OrganisationFactory(name="Région Hauts-de-France", kind=OrganisationKind.REGION)
    association = OrganisationFactory(name="France Victimes 80", kind=OrganisationKind.ASSOCIATION)
    school_a = OrganisationFactory(for_school=True, school=SchoolFactory(uai="0800020M", name="Collège A"))
    school_b = OrganisationFactory(for_school=True, school=SchoolFactory(uai="0800022P", name="Collège B"))
    member = MembershipFactory
    return People(
        coordinator=member(organisation=dsden, role=Role.COORDINATOR, user__email="coordination@halte.test"),
        magistrate=member(organisation=parquet, role=Role.MAGISTRATE),
        prosecutor_delegate=member(organisation=parquet, role=Role.PROSECUTOR_DELEGATE),
        education_referent=member(organisation=dsden, role=Role.EDUCATION_REFERENT),
        social_worker=member(organisation=departement, role=Role.SOCIAL_WORKER),
        school_a_staff=member(organisation=school_a, role=Role.SCHOOL_STAFF, user__email="cpe.a@halte.test"),
        school_b_staff=member(organisation=school_b, role=Role.SCHOOL_STAFF),
        police=member(organisation=police, role=Role.POLICE_LIAISON),
        association_worker=member(organisation=association, role=Role.ASSOCIATION_WORKER),
        analyst=member(organisation=region, role=Role.ANALYST),
        dpo=member(organisation=dsden, role=Role.DPO),
        admin=member(organisation=dsden, role=Role.ADMIN, user__is_staff=True, user__is_superuser=True),
    )


def log_in(client, membership: Membership, *, verified: bool = True):
    """Log a client in as a membership, second factor included, without going through the forms.

    The login journey itself is tested through HTTP in tests/accounts; every other test uses this.
    """
    client.force_login(membership.user)
    session = client.session
    if verified:
        device = TOTPDevice.objects.filter(user=membership.user, confirmed=True).first()
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[MEMBERSHIP_SESSION_KEY] = str(membership.public_id)
    session.save()
    return client


@pytest.fixture
def login():
    return log_in


@pytest.fixture
def partner(db):
    """A partner platform's organisation (the 3018), for API tests."""
    return OrganisationFactory(name="Association 3018", kind=OrganisationKind.ASSOCIATION)


@pytest.fixture
def raw_key(partner):
    """A valid API key of the partner, as the partner would hold it."""
    from halte.reports import apikeys

    _key, raw = apikeys.create_key(organisation=partner, name="Plateforme 3018")
    return raw


__all__ = ["Organisation", "People", "log_in", "settings"]
