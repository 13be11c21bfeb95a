"""The world of the authorization matrix: actors of every role in three relations to ALPHA's records.

Every record reachable by URL is owned by ALPHA and created by ALPHA's staff, so that for each record
  - "own" is the ALPHA actor who created or holds it (the case worker's case, the monitor's incident, the
    reader's API token...),
  - "same organisation" is every other ALPHA actor (including a case worker limited to another region),
  - "other organisation" is BETA's actor of the same role, and the cluster (admin, IMO) is global.
`nobody` has no membership at all. Records are built through the real services where they exist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from sentinelle.accounts.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    make_member,
)
from sentinelle.core.models import Role
from sentinelle.geography.tests.factories import AdminAreaFactory, CodVersionFactory

# Actor name -> (role, organisation key, areas key or None). Order = order of the report.
ACTORS: dict[str, tuple[str | None, str | None, str | None]] = {
    "admin": (Role.ADMIN, "cluster", None),
    "imo": (Role.IMO, "cluster", None),
    "manager": (Role.MANAGER, "alpha", None),
    "manager_other_area": (Role.MANAGER, "alpha", "segou"),
    "caseworker": (Role.CASEWORKER, "alpha", "mopti"),
    "caseworker_other_area": (Role.CASEWORKER, "alpha", "segou"),
    "monitor": (Role.MONITOR, "alpha", "mopti"),
    "focal_point_alpha": (Role.FOCAL_POINT, "alpha", None),
    "reader_alpha": (Role.READER, "alpha", None),
    "outsider": (Role.MANAGER, "beta", None),
    "outsider_other_area": (Role.MANAGER, "beta", "segou"),
    "caseworker_beta": (Role.CASEWORKER, "beta", None),
    "monitor_beta": (Role.MONITOR, "beta", None),
    "focal_point": (Role.FOCAL_POINT, "beta", None),
    "reader": (Role.READER, "beta", None),
    "nobody": (None, None, None),
}


@dataclass
class World:
    orgs: dict = field(default_factory=dict)
    areas: dict = field(default_factory=dict)
    actors: dict = field(default_factory=dict)
    # model label -> one record of that kind owned by ALPHA
    objects: dict = field(default_factory=dict)
    # model label -> more records of that kind in another state, each walked like the first
    variants: dict = field(default_factory=dict)
    # non-object URL arguments (slugs, codes, integer ids kept as strings)
    args: dict = field(default_factory=dict)
    _reach: dict = field(default_factory=dict)

    def reaches(self, actor: str, label: str, obj) -> bool:
        """Does any permission the actor holds reach this record? (cached)"""
        from django.core.exceptions import ImproperlyConfigured

        from sentinelle.core.permissions import ROLE_PERMISSIONS, has_perm, roles_of

        key = (actor, label, obj.pk)
        if key not in self._reach:
            user = self.actors[actor]
            perms = {perm for role in roles_of(user) for perm in ROLE_PERMISSIONS[role]}
            reached = False
            for perm in perms:
                try:
                    if has_perm(user, perm, obj):
                        reached = True
                        break
                except ImproperlyConfigured:  # no scope rule for this kind: not judged here
                    reached = True
                    break
            self._reach[key] = reached
        return self._reach[key]

    def all_records(self):
        for label, obj in self.objects.items():
            if hasattr(obj, "public_id"):
                yield label, obj
        for label, more in self.variants.items():
            for obj in more:
                yield label, obj


def _places(world: World) -> None:
    from sentinelle.monitoring.tests.factories import cercle_of, commune_of

    version = CodVersionFactory(code="authz-cod", is_default=True)
    country = AdminAreaFactory(version=version, level=0, pcode="ML", parent=None, name_fr="Mali")
    mopti = AdminAreaFactory(version=version, level=1, pcode="ML05", parent=country, name_fr="Mopti")
    segou = AdminAreaFactory(version=version, level=1, pcode="ML04", parent=country, name_fr="Ségou")
    cercle = cercle_of(mopti, pcode="ML0501", name_fr="Bandiagara")
    commune = commune_of(cercle, pcode="ML050101", name_fr="Dourou")
    world.areas.update(mopti=mopti, segou=segou, cercle=cercle, commune=commune, country=country)


def _actors(world: World) -> None:
    world.orgs = {key: OrganisationFactory(acronym=key.upper()) for key in ("cluster", "alpha", "beta")}
    for name, (role, org, areas) in ACTORS.items():
        if role is None:
            world.actors[name] = UserFactory(username=f"authz_{name}")
            continue
        area_list = [world.areas[areas]] if areas else []
        world.actors[name] = make_member(role, world.orgs[org], areas=area_list, username=f"authz_{name}")


def _monitoring(world: World) -> None:
    from sentinelle.monitoring.models import Alert, AlertRule, DuplicateCandidate, FlashReport
    from sentinelle.monitoring.services.alert_rules import alert_rule_create
    from sentinelle.monitoring.services.alerts import alerts_evaluate
    from sentinelle.monitoring.tests.factories import days_ago, make_incident, today

    a = world.actors
    cercle = world.areas["cercle"]
    # The incident under test: submitted by ALPHA's monitor (so the IMO sees it, the monitor no longer
    # edits it, ALPHA's manager does).
    incident = make_incident(
        actor=a["monitor"], area=cercle, status="submitted", date_start=days_ago(2), date_reported=today()
    )
    world.objects["monitoring.incident"] = incident
    # ALPHA's monitor's own draft: only its author (and ALPHA's manager) reach it; the IMO does not.
    draft = make_incident(actor=a["monitor"], area=cercle, date_start=days_ago(1), date_reported=today())
    world.variants["monitoring.incident"] = [draft]
    rule = alert_rule_create(actor=a["admin"], name="Toujours", kind=AlertRule.Kind.ALWAYS, threshold=1)
    world.objects["monitoring.alertrule"] = rule
    fired = alerts_evaluate(incident_ids=[incident.pk], notify=False)
    alert = fired[0] if fired else Alert.objects.filter(rule=rule).first()
    world.objects["monitoring.alert"] = alert
    report = FlashReport.objects.filter(alert=alert).first()
    if report is not None:
        # Published, so that readers of reports reach it too (the IMO edits the next version).
        FlashReport.objects.filter(pk=report.pk).update(
            status=FlashReport.Status.PUBLISHED, published_at=timezone.now(), immediate_needs="Abris."
        )
        world.objects["monitoring.flashreport"] = report
    # A pending pair of duplicates (ALPHA's incident and another), reviewed by the IMO only.
    other = make_incident(
        actor=a["monitor"], area=cercle, status="submitted", date_start=days_ago(2), date_reported=today()
    )
    pair = DuplicateCandidate.objects.filter(first=incident).first() or DuplicateCandidate.objects.create(
        first=incident, second=other, score=0.9
    )
    world.args.update(first=pair.first.public_id, second=pair.second.public_id)


def _directory_and_cases(world: World) -> None:
    from sentinelle.cases.models import TracingMatch
    from sentinelle.cases.services.assistance import assistance_request
    from sentinelle.cases.services.case_access import case_access_request
    from sentinelle.cases.services.case_plans import case_plan_save, case_plan_submit_for_approval
    from sentinelle.cases.services.case_team import transfer_request
    from sentinelle.cases.services.cases import assessment_record, task_add
    from sentinelle.cases.services.persons import person_merge
    from sentinelle.cases.services.tracing import tracing_request_create
    from sentinelle.cases.tests.factories_cases import (
        consent_for,
        make_case,
        make_referral,
        make_service,
        plan_actions,
    )
    from sentinelle.cases.tests.factories_persons import register

    a, o = world.actors, world.orgs
    commune = world.areas["commune"]
    alpha = o["alpha"]
    alpha.requires_supervisor_approval = True
    alpha.save()
    # ALPHA's own service (the "service" kind under test) and BETA's service receiving the referral.
    world.objects["directory.service"] = make_service(
        alpha, commune, "pss", focal_points=[a["focal_point_alpha"]]
    )
    beta_service = make_service(o["beta"], commune, "health", focal_points=[a["focal_point"]])
    case = make_case(a["caseworker"], commune)
    case.refresh_from_db()
    world.objects["cases.case"] = case
    world.objects["cases.person"] = case.person
    consent = consent_for(a["caseworker"], case, organisations=[o["beta"]])
    world.objects["cases.consent"] = consent
    world.objects["cases.referral"] = make_referral(a["caseworker"], case, beta_service)
    assessment_record(actor=a["caseworker"], case=case, risk_level="low")
    plan = case_plan_save(actor=a["caseworker"], case=case, actions=plan_actions("legal"))
    world.objects["cases.caseplan"] = plan
    world.objects["cases.approval"] = case_plan_submit_for_approval(actor=a["caseworker"], plan=plan)
    plan.refresh_from_db()
    world.objects["cases.task"] = task_add(
        actor=a["caseworker"], case=case, title="Appeler", due_on=timezone.localdate()
    )
    world.objects["cases.assistance"] = assistance_request(
        actor=a["caseworker"], case=case, kind="cash", amount_xof=1000, purpose="Transport"
    )
    world.objects["cases.transfer"] = transfer_request(
        actor=a["caseworker"], case=case, to_user=a["caseworker_other_area"], reason="Congé"
    )
    tracing = world.objects["cases.tracingrequest"] = tracing_request_create(
        actor=a["caseworker"],
        inquirer_name="Fatoumata Diallo",
        inquirer_relationship="mother",
        sought_given_name="Moussa",
        sought_sex="m",
        sought_age=9,
        last_seen_area=commune,
    )
    world.objects["cases.tracingmatch"] = TracingMatch.objects.create(
        request=tracing, case=case, score=0.9, reasons=[{"code": "name", "similarity": 0.9}]
    )
    # BETA's manager asks ALPHA for access to the case (ALPHA's managers decide).
    world.objects["cases.caseaccessrequest"] = case_access_request(
        actor=a["outsider"], case_number=case.case_number, reason="Urgence médicale à notre centre.", hours=4
    )
    # A person registered twice, merged by the manager into the case's person (the merge can be undone).
    twin = register(a["caseworker"], area=commune, given_name="Aminata", family_name="Traoré")
    world.objects["cases.personmerge"] = person_merge(actor=a["manager"], kept=case.person, merged=twin)


def _accounts(world: World) -> None:
    from sentinelle.accounts.devices import device_credential_create
    from sentinelle.api.tokens import api_token_create

    a = world.actors
    world.objects["accounts.organisation"] = world.orgs["alpha"]
    world.objects["accounts.user"] = a["monitor"]
    # A user above ALPHA's manager (a cluster IMO) who also holds a reader role in ALPHA: ALPHA's manager
    # sees them among ALPHA's people but may not act on them (the role order).
    imo_in_alpha = make_member(Role.IMO, world.orgs["cluster"], username="authz_imo_in_alpha")
    MembershipFactory(user=imo_in_alpha, organisation=world.orgs["alpha"], role=Role.READER)
    world.variants.setdefault("accounts.user", []).append(imo_in_alpha)
    world.objects["accounts.membership"] = a["monitor"].memberships.get()
    world.objects["accounts.devicecredential"], _ = device_credential_create(
        actor=a["monitor"], label="Tablette"
    )
    world.objects["api.apitoken"], _ = api_token_create(actor=a["reader_alpha"], label="Power BI")
    world.objects["geography.adminarea"] = world.areas["cercle"]


def _displacement(world: World) -> None:
    from sentinelle.displacement.tests.factories import make_event, make_figure

    alpha, cercle = world.orgs["alpha"], world.areas["cercle"]
    day = timezone.localdate() - datetime.timedelta(days=3)
    world.objects["displacement.populationfigure"] = make_figure(
        cercle, alpha, round_date=day, individuals=1200, households=200, status="idp"
    )
    world.objects["displacement.displacementevent"] = make_event(
        cercle, alpha, date=day, individuals=300, households=50, cause="armed_conflict"
    )


def _activities(world: World) -> None:
    from sentinelle.activities.models import ReportStatus
    from sentinelle.activities.tests.factories_reporting import ProjectFactory
    from sentinelle.activities.tests.factories_results import (
        make_activity,
        make_framework,
        make_indicator,
        make_programme,
        make_tree,
    )

    alpha, cercle = world.orgs["alpha"], world.areas["cercle"]
    month = timezone.localdate().replace(day=1)
    programme = make_programme("AUTHZ", alpha, partners=[alpha], areas=[cercle])
    world.objects["activities.programme"] = programme
    world.objects["activities.project"] = ProjectFactory(programme=programme, organisation=alpha)
    activity = make_activity(alpha, cercle, start=month, report_status=ReportStatus.SUBMITTED)
    world.objects["activities.activity"] = activity
    world.objects["activities.activityreport"] = activity.report
    world.objects["activities.reportingperiod"] = activity.report.period
    framework = make_framework(alpha, code="AUTHZ", programme=programme)
    world.objects["activities.resultsframework"] = framework
    _objective, _outcome, output = make_tree(framework)
    world.objects["activities.resultnode"] = output
    world.objects["activities.indicator"] = make_indicator(framework, output, "I1")


def _reports(world: World) -> None:
    from sentinelle.reports.services import report_generate, report_publish

    manager = world.actors["manager"]
    framework = world.objects["activities.resultsframework"]
    start = framework.start_date
    report = report_generate(
        actor=manager,
        kind="programme_quarterly",
        period_start=start,
        period_end=start + datetime.timedelta(days=89),
        framework=framework,
    )
    world.objects["reports.report"] = report_publish(actor=manager, report=report)


def _ingest(world: World) -> None:
    from sentinelle.ingest.kinds import get_kind
    from sentinelle.ingest.services import import_job_upload
    from sentinelle.ingest.workbooks import template_csv

    content = template_csv(get_kind("incidents"), [])
    world.objects["ingest.importjob"] = import_job_upload(
        actor=world.actors["monitor"],
        kind="incidents",
        organisation=world.orgs["alpha"],
        filename="incidents.csv",
        content=content,
    )
    # A partner's file in its own words ("FDS"): the job waits for the mapping step (its page shows the
    # values with a form; mapping is a POST that refused actors must not get through).
    from sentinelle.monitoring.tests.factories import days_ago, today

    row = {
        "source_id": "AUTHZ-1",
        "date_start": days_ago(3).isoformat(),
        "date_reported": today().isoformat(),
        "adm2_code": world.areas["cercle"].pcode,
        "adm3_code": world.areas["commune"].pcode,
        "categories": "life",
        "perpetrator_category": "FDS",
        "victims_killed_m_18_59": 1,
    }
    world.variants["ingest.importjob"] = [
        import_job_upload(
            actor=world.actors["monitor"],
            kind="incidents",
            organisation=world.orgs["alpha"],
            filename="partenaire.csv",
            content=template_csv(get_kind("incidents"), [row]),
            source="Partenaire",
        )
    ]


BUILDERS = (
    _places,
    _actors,
    _accounts,
    _monitoring,
    _directory_and_cases,
    _displacement,
    _activities,
    _reports,
    _ingest,
)


def build_world() -> World:
    world = World()
    for builder in BUILDERS:
        builder(world)
    for obj in [*world.objects.values(), *(v for more in world.variants.values() for v in more)]:
        obj.refresh_from_db()
    return world
