"""Read-only representations of the API resources. Identifiers are public UUIDs; areas are P-codes;
organisations are acronyms. Identity fields appear only where the views pass them (allowed and audited)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sentinelle.api.selectors import IDENTITY_FIELDS


class AreaSerializer(serializers.Serializer):
    pcode = serializers.CharField()
    name = serializers.CharField(source="name_fr")
    level = serializers.IntegerField()


class OrganisationField(serializers.CharField):
    """An organisation by its acronym."""

    def to_representation(self, value):
        return value.acronym if value is not None else None


class _Base(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")


# --- Incidents ---------------------------------------------------------------------------------


class VictimCountSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    sex = serializers.CharField()
    age_group = serializers.CharField()
    count = serializers.IntegerField()


class IncidentSerializer(_Base):
    reference = serializers.CharField()
    status = serializers.CharField()
    organisation = OrganisationField()
    date_start = serializers.DateField()
    date_end = serializers.DateField(allow_null=True)
    date_estimated = serializers.BooleanField()
    date_reported = serializers.DateField()
    area = AreaSerializer()
    categories = serializers.SerializerMethodField()
    perpetrator_category = serializers.CharField()
    summary = serializers.CharField()
    source_mechanism = serializers.CharField()
    channel = serializers.CharField()
    reliability = serializers.CharField()
    sharing_level = serializers.CharField()
    victims_total = serializers.IntegerField()
    killed_total = serializers.IntegerField()
    displaced_households = serializers.IntegerField(allow_null=True)
    displaced_individuals = serializers.IntegerField(allow_null=True)
    duplicate_of = serializers.CharField(source="duplicate_of.reference", allow_null=True, read_only=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    reviewed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_categories(self, incident) -> list[str]:
        return [link.category for link in incident.category_links.all()]


class ConfidentialSerializer(serializers.Serializer):
    account = serializers.CharField()
    coordinates = serializers.CharField()


class IncidentDetailSerializer(IncidentSerializer):
    victims = VictimCountSerializer(source="victim_counts", many=True)
    # Present only when the user may read them on this incident (Perm.INCIDENT_CONFIDENTIAL); audited.
    confidential = serializers.SerializerMethodField()

    @extend_schema_field(ConfidentialSerializer(allow_null=True))
    def get_confidential(self, incident):
        return self.context.get("confidential")


# --- Services ----------------------------------------------------------------------------------


class ServiceSerializer(_Base):
    name = serializers.CharField()
    service_type = serializers.CharField()
    provider = OrganisationField()
    status = serializers.CharField()
    area = AreaSerializer()
    address = serializers.CharField()
    opening_hours = serializers.CharField()
    contact_phone = serializers.CharField()
    contact_email = serializers.CharField()
    languages = serializers.CharField()
    cost = serializers.CharField()
    capacity_per_month = serializers.IntegerField(allow_null=True)
    last_verified_on = serializers.DateField(allow_null=True)
    description = serializers.CharField()
    eligibility = serializers.CharField()


class ServiceDetailSerializer(ServiceSerializer):
    areas_served = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_areas_served(self, service) -> list[str]:
        return [area.pcode for area in self.context.get("areas_served", [])]


# --- Cases and persons -------------------------------------------------------------------------


class PersonRefSerializer(_Base):
    person_code = serializers.CharField()


class CaseSerializer(_Base):
    case_number = serializers.CharField()
    case_type = serializers.CharField()
    status = serializers.CharField()
    risk_level = serializers.CharField()
    organisation = OrganisationField()
    owner = serializers.CharField(source="owner.username")
    area = AreaSerializer()
    opened_on = serializers.DateField()
    closed_on = serializers.DateField(allow_null=True)
    person = PersonRefSerializer()
    overdue_tasks = serializers.IntegerField(required=False)
    active_referrals = serializers.IntegerField(required=False)


class IdentitySerializer(serializers.Serializer):
    given_name = serializers.CharField()
    family_name = serializers.CharField()
    other_names = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    date_of_birth = serializers.CharField()
    caregiver_name = serializers.CharField()
    caregiver_phone = serializers.CharField()


class PersonSerializer(_Base):
    person_code = serializers.CharField()
    organisation = OrganisationField()
    area = AreaSerializer()
    sex = serializers.CharField()
    age = serializers.IntegerField(allow_null=True)
    age_estimated = serializers.BooleanField()
    age_group = serializers.CharField()
    displacement_status = serializers.CharField()
    has_disability = serializers.BooleanField()
    merged_into = serializers.CharField(source="merged_into.person_code", allow_null=True, read_only=True)


def _identity(person, context) -> dict | None:
    """The person's identity where the view found the policy allows it (`identity_allowed`), else None."""
    if not context.get("identity_allowed"):
        return None
    return {name: getattr(person, name) or "" for name in IDENTITY_FIELDS}


class PersonDetailSerializer(PersonSerializer):
    # Decrypted only in this audited detail, for a user the policy lets see this person.
    identity = serializers.SerializerMethodField()

    @extend_schema_field(IdentitySerializer(allow_null=True))
    def get_identity(self, person):
        return _identity(person, self.context)


class CaseDetailSerializer(CaseSerializer):
    protection_concerns = serializers.ListField(child=serializers.CharField())
    closure_reason = serializers.CharField()
    # The person with identity when the policy allows it (persons_visible); None otherwise.
    person_identity = serializers.SerializerMethodField()

    @extend_schema_field(IdentitySerializer(allow_null=True))
    def get_person_identity(self, case):
        return _identity(case.person, self.context)


# --- Referrals ---------------------------------------------------------------------------------


class ReferralSerializer(_Base):
    """The referring side's view (its own case's referral)."""

    reference = serializers.CharField()
    case = serializers.CharField(source="case.case_number")
    service = serializers.SerializerMethodField()
    provider = serializers.SerializerMethodField()
    external_service = serializers.CharField()
    service_type = serializers.CharField()
    urgency = serializers.CharField()
    status = serializers.CharField()
    respond_by = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    declined_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    service_given = serializers.CharField()
    cancelled_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(OpenApiTypes.UUID)
    def get_service(self, referral):
        return referral.service.public_id if referral.service_id else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_provider(self, referral):
        return referral.service.provider.acronym if referral.service_id else None


class ReferralDetailSerializer(ReferralSerializer):
    reason = serializers.CharField()


class ReceivedReferralSerializer(serializers.Serializer):
    """The receiving service's view: the agreed minimum (cases/selectors/referrals.py), never the case."""

    id = serializers.CharField(source="public_id")
    reference = serializers.CharField()
    status = serializers.CharField()
    service_name = serializers.CharField()
    service_type = serializers.CharField()
    urgency = serializers.CharField()
    created_at = serializers.DateTimeField()
    respond_by = serializers.DateTimeField()
    is_overdue = serializers.BooleanField()
    person_code = serializers.CharField()
    sex = serializers.CharField()
    age_group = serializers.CharField()
    form = serializers.SerializerMethodField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    declined_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    service_given = serializers.CharField()
    cancelled_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.ListField(child=serializers.CharField())))
    def get_form(self, item) -> list:
        return [[str(question), str(answer)] for question, answer in item.form]


class ReceivedReferralDetailSerializer(ReceivedReferralSerializer):
    reason = serializers.CharField()
    # Empty for GBV cases: the survivor is known by code only.
    given_name = serializers.CharField()


# --- Population movement -----------------------------------------------------------------------


class PopulationFigureSerializer(_Base):
    organisation = OrganisationField()
    area = AreaSerializer()
    round_date = serializers.DateField()
    status = serializers.CharField()
    source = serializers.CharField()
    households = serializers.IntegerField(allow_null=True)
    individuals = serializers.IntegerField()


class DisplacementEventSerializer(_Base):
    organisation = OrganisationField()
    date = serializers.DateField()
    origin_area = AreaSerializer(allow_null=True)
    destination_area = AreaSerializer()
    households = serializers.IntegerField(allow_null=True)
    individuals = serializers.IntegerField()
    cause = serializers.CharField()
    source = serializers.CharField()
    description = serializers.CharField()


# --- Activities (4W) ---------------------------------------------------------------------------


class BeneficiariesSerializer(serializers.Serializer):
    sex = serializers.CharField()
    age_group = serializers.CharField()
    population_status = serializers.CharField()
    count = serializers.IntegerField()


class ActivitySerializer(_Base):
    organisation = OrganisationField()
    project = serializers.CharField(source="project.code", allow_null=True, read_only=True)
    activity_type = serializers.CharField()
    title = serializers.CharField()
    area = AreaSerializer()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    status = serializers.CharField()
    quantity = serializers.IntegerField(allow_null=True)
    report_status = serializers.CharField(source="report.status")
    month = serializers.DateField(source="report.period.month")
    people_reached = serializers.IntegerField(source="reached_total", allow_null=True)
    reached_female = serializers.IntegerField(source="reached_f", allow_null=True)
    reached_male = serializers.IntegerField(source="reached_m", allow_null=True)


class ActivityDetailSerializer(ActivitySerializer):
    beneficiaries = BeneficiariesSerializer(many=True)


# --- Indicators --------------------------------------------------------------------------------


class IndicatorSerializer(_Base):
    framework = serializers.CharField(source="framework.code")
    node = serializers.SerializerMethodField()
    code = serializers.CharField()
    name_fr = serializers.CharField()
    name_en = serializers.CharField()
    unit = serializers.CharField()
    baseline = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    source = serializers.CharField()
    disaggregations = serializers.ListField(child=serializers.CharField())

    @extend_schema_field(OpenApiTypes.STR)
    def get_node(self, indicator) -> str | None:
        return indicator.node.code if indicator.node_id else None


class ResultSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    value = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    target = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    percent = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)


class IndicatorValueSerializer(_Base):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    area = serializers.SerializerMethodField()
    disaggregation = serializers.DictField(child=serializers.CharField())
    value = serializers.DecimalField(max_digits=14, decimal_places=2)

    @extend_schema_field(OpenApiTypes.STR)
    def get_area(self, entry) -> str | None:
        return entry.area.pcode if entry.area_id else None


class IndicatorDetailSerializer(IndicatorSerializer):
    description = serializers.SerializerMethodField()
    year = serializers.SerializerMethodField()
    periods = serializers.SerializerMethodField()
    quarters = serializers.SerializerMethodField()
    values = serializers.SerializerMethodField()

    def _report(self):
        return self.context["report"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_description(self, indicator) -> str:
        return str(self._report().description)

    @extend_schema_field(OpenApiTypes.INT)
    def get_year(self, indicator) -> int:
        return self.context["year"]

    @extend_schema_field(ResultSerializer(many=True))
    def get_periods(self, indicator):
        return ResultSerializer(self._report().periods, many=True).data

    @extend_schema_field(ResultSerializer(many=True))
    def get_quarters(self, indicator):
        return ResultSerializer(self._report().quarters, many=True).data

    @extend_schema_field(IndicatorValueSerializer(many=True))
    def get_values(self, indicator):
        return IndicatorValueSerializer(self._report().entries, many=True).data
