"""GBVIMS code lists (standards §1): core types, Incident Recorder menus."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GBVType(models.TextChoices):
    RAPE = "rape", _("Rape")
    SEXUAL_ASSAULT = "sexual_assault", _("Sexual assault")
    PHYSICAL_ASSAULT = "physical_assault", _("Physical assault")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    DENIAL_OF_RESOURCES = "denial_of_resources", _("Denial of resources, opportunities or services")
    PSYCHOLOGICAL_ABUSE = "psychological_abuse", _("Psychological / emotional abuse")
    NON_GBV = "non_gbv", _("Non-GBV")


class DisplacementStatus(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    IDP = "idp", _("Internally displaced person")
    REFUGEE = "refugee", _("Refugee")
    STATELESS = "stateless", _("Stateless person")
    RETURNEE = "returnee", _("Returnee")
    FOREIGN_NATIONAL = "foreign_national", _("Foreign national")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married / cohabiting")
    DIVORCED = "divorced", _("Divorced / separated")
    WIDOWED = "widowed", _("Widowed")
    UNKNOWN = "unknown", _("Unknown")


class Disability(models.TextChoices):
    NO = "no", _("No")
    MENTAL = "mental", _("Mental disability")
    PHYSICAL = "physical", _("Physical disability")
    BOTH = "both", _("Physical and mental disability")


class SeparationStatus(models.TextChoices):
    NO = "no", _("No")
    UNACCOMPANIED = "unaccompanied", _("Unaccompanied minor")
    SEPARATED = "separated", _("Separated child")
    OTHER_VULNERABLE = "other_vulnerable", _("Other vulnerable child")


class DisplacementStage(models.TextChoices):
    NOT_DISPLACED = "not_displaced", _("Not displaced / home community")
    PRE_DISPLACEMENT = "pre_displacement", _("Pre-displacement")
    DURING_FLIGHT = "during_flight", _("During flight")
    DURING_REFUGE = "during_refuge", _("During refuge")
    DURING_RETURN = "during_return", _("During return / transit")
    POST_DISPLACEMENT = "post_displacement", _("Post-displacement")


class TimeOfDay(models.TextChoices):
    MORNING = "morning", _("Morning (sunrise to noon)")
    AFTERNOON = "afternoon", _("Afternoon (noon to sunset)")
    NIGHT = "night", _("Evening / night (sunset to sunrise)")
    UNKNOWN = "unknown", _("Unknown")


class LocationType(models.TextChoices):
    BUSH = "bush", _("Bush / forest")
    FIELD = "field", _("Garden / cultivated field")
    SCHOOL = "school", _("School")
    ROAD = "road", _("Road")
    SURVIVOR_HOME = "survivor_home", _("Survivor's home")
    PERPETRATOR_HOME = "perpetrator_home", _("Perpetrator's home")
    MARKET = "market", _("Market")
    WATER_POINT = "water_point", _("Water point / latrine")
    SITE = "site", _("Displacement site")
    OTHER = "other", _("Other")


class HarmfulPractice(models.TextChoices):
    NO = "no", _("No")
    FGM = "fgm", _("Female genital mutilation / cutting")
    EARLY_MARRIAGE = "early_marriage", _("Early marriage")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    OTHER = "other", _("Other harmful practice")


class YesNoUnknown(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


class AbductionType(models.TextChoices):
    NONE = "none", _("None")
    FORCED_CONSCRIPTION = "forced_conscription", _("Forced conscription")
    TRAFFICKED = "trafficked", _("Trafficked")
    OTHER = "other", _("Other abduction / kidnapping")


class ReportedElsewhere(models.TextChoices):
    NO = "no", _("No")
    GBVIMS_ORG = "gbvims_org", _("Yes, to a GBVIMS organisation")
    OTHER_ORG = "other_org", _("Yes, to a non-GBVIMS organisation")


class PerpetratorRelationship(models.TextChoices):
    INTIMATE_PARTNER = "intimate_partner", _("Intimate partner / former partner")
    PRIMARY_CAREGIVER = "primary_caregiver", _("Primary caregiver")
    FAMILY_OTHER = "family_other", _("Family other than spouse or caregiver")
    SUPERVISOR = "supervisor", _("Supervisor / employer")
    SCHOOLMATE = "schoolmate", _("Schoolmate")
    TEACHER = "teacher", _("Teacher / school official")
    SERVICE_PROVIDER = "service_provider", _("Service provider")
    COTENANT = "cotenant", _("Cotenant / housemate")
    FAMILY_FRIEND = "family_friend", _("Family friend / neighbour")
    OTHER_DISPLACED = "other_displaced", _("Other refugee / IDP / returnee")
    COMMUNITY_MEMBER = "community_member", _("Other resident community member")
    ARMED_ACTOR = "armed_actor", _("Member of an armed force or group")
    OTHER = "other", _("Other")
    NO_RELATION = "no_relation", _("No relation")
    UNKNOWN = "unknown", _("Unknown")


class PerpetratorSex(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")
    BOTH = "mf", _("Male and female")
    UNKNOWN = "unknown", _("Unknown")


class PerpetratorAgeGroup(models.TextChoices):
    AGE_0_11 = "0_11", "0-11"
    AGE_12_17 = "12_17", "12-17"
    AGE_18_25 = "18_25", "18-25"
    AGE_26_40 = "26_40", "26-40"
    AGE_41_60 = "41_60", "41-60"
    AGE_61_PLUS = "61_plus", "61+"
    UNKNOWN = "unknown", _("Unknown")


class ReferralStatus(models.TextChoices):
    REFERRED = "referred", _("Referred")
    PROVIDED_BY_AGENCY = "provided_by_agency", _("Service provided by your agency")
    ALREADY_RECEIVED = "already_received", _("Services already received from another agency")
    NOT_APPLICABLE = "not_applicable", _("Service not applicable")
    DECLINED = "declined", _("Referral declined by survivor")
    UNAVAILABLE = "unavailable", _("Service unavailable")


class ReferredFrom(models.TextChoices):
    HEALTH = "health", _("Health / medical services")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial services")
    POLICE = "police", _("Police / other security actor")
    LEGAL = "legal", _("Legal assistance services")
    LIVELIHOODS = "livelihoods", _("Livelihoods programme")
    SELF = "self", _("Self referral / first point of contact")
    TEACHER = "teacher", _("Teacher / school official")
    COMMUNITY_LEADER = "community_leader", _("Community or camp leader")
    SAFE_HOUSE = "safe_house", _("Safe house / shelter")
    HUMANITARIAN = "humanitarian", _("Other humanitarian or development actor")
    GOVERNMENT = "government", _("Other government service")
    OTHER = "other", _("Other")


# The IR's service columns (standards §1.2, 33-40), each with a referral status.
class IRService(models.TextChoices):
    SAFE_HOUSE = "safe_house", _("Safe house / shelter")
    HEALTH = "health", _("Health / medical services")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial services")
    LEGAL = "legal", _("Legal assistance services")
    POLICE = "police", _("Police / other security actor")
    LIVELIHOODS = "livelihoods", _("Livelihoods programme")
    CHILD_PROTECTION = "child_protection", _("Child protection / education services")


class LegalAction(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNDECIDED = "undecided", _("Undecided at time of report")


class ReportingDelay(models.TextChoices):
    DAYS_0_3 = "0_3_days", _("0-3 days")
    DAYS_4_5 = "4_5_days", _("4-5 days")
    DAYS_6_14 = "6_14_days", _("6-14 days")
    WEEKS_2_4 = "2_weeks_1_month", _("2 weeks - 1 month")
    OVER_MONTH = "over_1_month", _("More than 1 month")
