"""Households and their members (扫村建档, DOMAIN §3 step 2). ID numbers, phones, addresses are encrypted."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from puhui.core.fields import EncryptedTextField
from puhui.households.scope import HouseholdQuerySet, PersonQuerySet


class Household(models.Model):
    """农户: one household of a village, in one grid."""

    # No index of its own: the unique (village, number) index serves every lookup by village.
    village = models.ForeignKey(
        "org.Village", on_delete=models.PROTECT, related_name="households", verbose_name=_("village"), db_index=False
    )
    grid = models.ForeignKey("org.Grid", on_delete=models.PROTECT, related_name="households", verbose_name=_("grid"))
    number = models.CharField(_("household number"), max_length=30)
    address = EncryptedTextField(_("address"), blank=True)
    main_industry = models.CharField(_("main industry"), max_length=40, blank=True)
    annual_net_income_fen = models.BigIntegerField(_("annual net income (fen)"), null=True, blank=True)
    total_assets_fen = models.BigIntegerField(_("total assets (fen)"), null=True, blank=True)
    debts_fen = models.BigIntegerField(_("debts (fen)"), null=True, blank=True)
    land_area_mu = models.DecimalField(_("land area (mu)"), max_digits=9, decimal_places=2, null=True, blank=True)
    is_low_income = models.BooleanField(_("low-income household"), default=False)
    gps_lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    gps_lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    gps_accuracy_m = models.PositiveIntegerField(_("GPS accuracy (m)"), null=True, blank=True)
    completeness = models.PositiveSmallIntegerField(_("profile completeness"), default=0)
    missing_items = models.JSONField(_("missing items"), default=list, blank=True)
    collected_persons = models.PositiveSmallIntegerField(_("collected members"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village", "number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="household_number_unique_in_village"),
            models.CheckConstraint(
                condition=models.Q(completeness__lte=100), name="household_completeness_at_most_100"
            ),
        ]
        indexes = [models.Index(fields=["number"])]  # the import looks households up by 户编号
        permissions = [("reveal_personal_data", _("Can reveal full ID numbers, phones and addresses"))]

    def __str__(self) -> str:
        return f"{self.village.name} {self.number}"


class Person(models.Model):
    """家庭成员. A person is keyed city-wide by the blind index of the ID number."""

    class Relation(models.TextChoices):
        HEAD = "head", _("head of household")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        OTHER = "other", _("other")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    relation = models.CharField(_("relation to head"), max_length=10, choices=Relation.choices)
    name = models.CharField(_("name"), max_length=30)
    id_number = EncryptedTextField(_("ID number"), blank=True)
    id_index = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    id_masked = models.CharField(_("ID number (masked)"), max_length=18, blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, editable=False)
    phone_masked = models.CharField(_("phone (masked)"), max_length=11, blank=True)
    occupation = models.CharField(_("occupation"), max_length=40, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True, choices=[("M", _("male")), ("F", _("female"))])
    is_collected = models.BooleanField(_("collected"), default=False)
    # A farmer's login: the person sees own household and credit line (mobile banking, DOMAIN §1).
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="person"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        ordering = ["household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(relation="head"), name="one_head_per_household"
            )
        ]

    def __str__(self) -> str:
        return self.name


def photo_path(instance, filename: str) -> str:
    return f"photos/{instance.household.village_id}/{instance.household_id}/{filename}"


class Photo(models.Model):
    class Kind(models.TextChoices):
        HOUSE = "house", _("house")
        FAMILY = "family", _("family")
        BUSINESS = "business", _("business")
        OTHER = "other", _("other")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    image = models.ImageField(_("image"), upload_to=photo_path)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=photo_path)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["household", "-created_at"]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()}"
