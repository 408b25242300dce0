"""People who log in, the organisations of the cell, and the memberships that tie them together.

A user acts in Halte *through a membership*: the same person may be a coordinator at the DSDEN and
a trainer for an association; what they may see depends on the membership they picked at login.
"""

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from .addresses import NFKC, normalise_email


class OrganisationKind(models.TextChoices):
    PARQUET = "parquet", _("Parquet")
    EDUCATION = "education", _("DSDEN / rectorat")
    SCHOOL = "school", _("Établissement scolaire")
    DEPARTEMENT = "departement", _("Département")
    REGION = "region", _("Région")
    PREFECTURE = "prefecture", _("Préfecture")
    POLICE = "police", _("Police nationale")
    GENDARMERIE = "gendarmerie", _("Gendarmerie nationale")
    LOCAL_AUTHORITY = "local_authority", _("Commune / EPCI")
    ASSOCIATION = "association", _("Association")


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinateur ou coordinatrice de la cellule")
    MAGISTRATE = "magistrate", _("Magistrat ou magistrate (substitut des mineurs)")
    PROSECUTOR_DELEGATE = "prosecutor_delegate", _("Délégué ou déléguée du procureur")
    EDUCATION_REFERENT = "education_referent", _("Référent ou référente Éducation nationale")
    SOCIAL_WORKER = "social_worker", _("Travailleur social ou travailleuse sociale")
    SCHOOL_STAFF = "school_staff", _("Personnel de l'établissement")
    POLICE_LIAISON = "police_liaison", _("Correspondant ou correspondante police / gendarmerie")
    ASSOCIATION_WORKER = "association_worker", _("Intervenant associatif ou intervenante associative")
    ANALYST = "analyst", _("Analyste / comité de pilotage")
    DPO = "dpo", _("Délégué ou déléguée à la protection des données")
    ADMIN = "admin", _("Administrateur ou administratrice")


class Civility(models.TextChoices):
    """How a person wishes to be addressed; empty: neither (role labels stay in their inclusive form)."""

    MADAME = "mme", _("Madame")
    MONSIEUR = "m", _("Monsieur")


# A role as it reads next to one person's name: (when she is « Madame », when he is « Monsieur »).
# Without a civility the role's own inclusive label is used (``Role`` choices).
ROLE_LABELS_BY_CIVILITY: dict[str, tuple[Any, Any]] = {
    Role.COORDINATOR: (_("Coordinatrice de la cellule"), _("Coordinateur de la cellule")),
    Role.MAGISTRATE: (_("Magistrate du parquet (mineurs)"), _("Magistrat du parquet (mineurs)")),
    Role.PROSECUTOR_DELEGATE: (_("Déléguée du procureur"), _("Délégué du procureur")),
    Role.EDUCATION_REFERENT: (_("Référente Éducation nationale"), _("Référent Éducation nationale")),
    Role.SOCIAL_WORKER: (_("Travailleuse sociale"), _("Travailleur social")),
    Role.SCHOOL_STAFF: (_("Personnel de l'établissement"), _("Personnel de l'établissement")),
    Role.POLICE_LIAISON: (_("Correspondante police / gendarmerie"), _("Correspondant police / gendarmerie")),
    Role.ASSOCIATION_WORKER: (_("Intervenante associative"), _("Intervenant associatif")),
    Role.ANALYST: (_("Analyste / comité de pilotage"), _("Analyste / comité de pilotage")),
    Role.DPO: (_("Déléguée à la protection des données"), _("Délégué à la protection des données")),
    Role.ADMIN: (_("Administratrice"), _("Administrateur")),
}


class Organisation(models.Model):
    """A partner of the cell: parquet, DSDEN, a school, the police, an association…"""

    name = models.CharField(_("nom"), max_length=255)
    short_name = models.CharField(_("nom court"), max_length=64, blank=True)
    kind = models.CharField(_("type"), max_length=32, choices=OrganisationKind.choices)
    school = models.OneToOneField(
        "directory.School",
        verbose_name=_("établissement"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisation",
    )
    departement = models.CharField(_("département"), max_length=3, blank=True, default="080")
    email = models.EmailField(_("adresse fonctionnelle"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="organisation_name_unique"),
            # A school organisation is always tied to its establishment, and only it is.
            models.CheckConstraint(
                condition=(models.Q(kind="school") & models.Q(school__isnull=False))
                | (~models.Q(kind="school") & models.Q(school__isnull=True)),
                name="organisation_school_iff_kind_school",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("Une adresse électronique est obligatoire.")
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return normalise_email(email)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalise_email(username))


# django-stubs cannot name the reverse manager that django-otp's abstract Device gives ProConnectDevice.
class User(AbstractBaseUser, PermissionsMixin):  # type: ignore[django-manager-missing]
    """Someone who logs in with their email address, a password and a TOTP second factor."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("adresse électronique"), max_length=254, unique=True)
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    civility = models.CharField(_("civilité"), max_length=3, choices=Civility.choices, blank=True)
    # The person's own title, printed under her name in documents (« Conseillère principale d'éducation »).
    title = models.CharField(_("fonction"), max_length=150, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    # Django's admin site flag; Halte's policy still requires the admin role and a verified login.
    is_staff = models.BooleanField(_("accès à l'administration technique"), default=False)
    date_joined = models.DateTimeField(_("créé le"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            # Only the normal form is stored (see halte.accounts.addresses), whoever writes.
            models.CheckConstraint(
                condition=models.Q(email=NFKC(Lower(Trim(NFKC("email"))))),
                name="user_email_normalised",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_full_name()} <{self.email}>"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def civility_abbreviation(self) -> str:
        """« Mme », « M. » or nothing, as it goes before a name."""
        abbreviations: dict[str, str] = {Civility.MADAME: "Mme", Civility.MONSIEUR: "M."}
        return abbreviations.get(self.civility, "")

    def formal_name(self) -> str:
        """« Mme Claire Dubois », or the name alone without a civility."""
        return f"{self.civility_abbreviation} {self.get_full_name()}".strip()

    def clean(self) -> None:
        super().clean()
        self.email = normalise_email(self.email)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True, organisation__is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's role in one organisation. Access is always decided for a membership, not a user."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, verbose_name=_("utilisateur"), on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    # The cell's steering contact receives the last level of escalation of overdue clocks.
    is_steering_contact = models.BooleanField(_("contact de pilotage de la cellule"), default=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("rattachement")
        verbose_name_plural = _("rattachements")
        ordering = ["organisation__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name()} — {self.get_role_display()} — {self.organisation}"

    def role_label(self) -> str:
        """The role as it reads next to this person's name: agreeing with her civility, else inclusive."""
        labels = ROLE_LABELS_BY_CIVILITY.get(self.role)
        if labels and self.user.civility == Civility.MADAME:
            return str(labels[0])
        if labels and self.user.civility == Civility.MONSIEUR:
            return str(labels[1])
        return str(self.get_role_display())

    def person_title(self) -> str:
        """What signs under this person's name: her own title when she gave one, else her role."""
        return self.user.title or self.role_label()

    @property
    def school(self):
        """The establishment a school-staff membership belongs to, else None."""
        return self.organisation.school if self.organisation.kind == OrganisationKind.SCHOOL else None


class LoginThrottle(models.Model):
    """A counter of failed logins for one key: an account, a client, or a trusted browser.

    Keys are keyed hashes (``halte.accounts.throttle``): the table holds no address, no email.
    Rows are only touched by one conditional UPDATE, so parallel guesses all count.
    """

    key = models.CharField(max_length=64, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()

    class Meta:
        verbose_name = _("compteur d'échecs de connexion")
        verbose_name_plural = _("compteurs d'échecs de connexion")
        indexes = [models.Index(fields=["last_failure_at"], name="login_throttle_age_idx")]

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.failures}"


class GrantStatus(models.TextChoices):
    PENDING = "pending", _("En attente de confirmation")
    APPROVED = "approved", _("Confirmée")
    REFUSED = "refused", _("Refusée")
    CANCELLED = "cancelled", _("Retirée")


class MembershipGrant(models.Model):
    """A request for a membership that needs a second person (halte.access.grants): who asked,
    why, who decided. Approved, it creates or revives the membership."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, verbose_name=_("personne"), on_delete=models.PROTECT, related_name="grants")
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="grants"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    reason = models.TextField(_("motif"), max_length=2000)
    requested_by = models.ForeignKey(
        Membership, verbose_name=_("demandée par"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    status = models.CharField(_("état"), max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    decided_by = models.ForeignKey(
        Membership, verbose_name=_("décidée par"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)
    decision_note = models.TextField(_("observation"), max_length=2000, blank=True)
    membership = models.ForeignKey(
        Membership, verbose_name=_("rattachement"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("demande d'habilitation")
        verbose_name_plural = _("demandes d'habilitation")
        ordering = ["-requested_at"]
        constraints = [
            # The one who asks never decides.
            models.CheckConstraint(condition=~models.Q(decided_by=models.F("requested_by")), name="grant_two_people"),
            models.CheckConstraint(
                condition=models.Q(status=GrantStatus.PENDING, decided_at__isnull=True)
                | (~models.Q(status=GrantStatus.PENDING) & models.Q(decided_at__isnull=False)),
                name="grant_decided_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=GrantStatus.APPROVED) | models.Q(membership__isnull=False),
                name="grant_approved_has_membership",
            ),
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=models.Q(status=GrantStatus.PENDING),
                name="grant_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name()} — {self.get_role_display()} — {self.organisation}"

    @property
    def is_pending(self) -> bool:
        return self.status == GrantStatus.PENDING


class ProConnectDevice(Device):
    """The second factor that ProConnect asserted (``acr``/``amr``) for one login.

    It never accepts a code: it exists so that django-otp can mark a session verified when the
    State's identity provider already required a second factor. Created by halte.accounts.proconnect.
    """

    class Meta:
        verbose_name = _("double authentification ProConnect")

    def verify_token(self, token) -> bool:
        return False
