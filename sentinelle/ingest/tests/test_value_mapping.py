"""Partners' own codes: the mapping step (issue 14, point 5).

AMSS sends its monitoring file in its own words (tests/fixtures/p5_amss_monitoring_hxl.csv and the same
rows as a workbook): "FDS", "FAMa", "Milice", "community_militia" for the perpetrator, "Enlèvement",
"Viol", "Pillage" for the category, "Viol collectif" for the GBV type, "Relais communautaire", "Radio" for the
source, and "Mopit" and "Sokoura" for the cercle of Mopti and the commune of Socoura. Before, each cell
was one error of its row and the file could not be imported; now each value is listed once with its rows
and suggestions, the user maps it, the choice is remembered for AMSS and that source, and the next file
of the source is read with it. All or nothing, nothing written before the import, idempotent.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from sentinelle.activities.models import Activity
from sentinelle.core.models import AuditEntry
from sentinelle.ingest.kinds import get_kind
from sentinelle.ingest.mapping_services import value_mappings_save
from sentinelle.ingest.models import ImportJob, ValueMapping
from sentinelle.ingest.services import import_job_upload, jobs_run_pending
from sentinelle.ingest.tests.conftest import FIXTURES, commit, fixture_bytes
from sentinelle.ingest.value_maps import ValueMap
from sentinelle.ingest.values import UnknownCode
from sentinelle.monitoring.models import Incident

pytestmark = pytest.mark.django_db

SOURCE = "Kobo AMSS Mopti"
HXL = "p5_amss_monitoring_hxl.csv"
# (column, value as the partner wrote it) -> (rows holding it, the first suggestion)
WAITING = {
    ("adm2_name", "Mopit"): (2, "ML0501"),
    ("adm3_name", "Sokoura"): (1, "ML050114"),
    ("categories", "Enlèvement"): (1, "liberty"),
    ("categories", "Viol"): (1, "gbv"),
    ("categories", "Pillage"): (1, "property"),
    ("perpetrator_category", "FDS"): (2, "state_forces"),
    ("perpetrator_category", "Milice"): (1, "militia"),
    ("perpetrator_category", "community_militia"): (1, "militia"),
    ("perpetrator_category", "FAMa"): (1, "state_forces"),
    ("source_mechanism", "Relais communautaire"): (2, "community_focal_point"),
    ("source_mechanism", "Radio"): (1, "media"),
    ("gbv_type", "Viol collectif"): (1, "rape"),
}


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


@pytest.fixture
def monitor(caseworker_in_area):
    """Who imports AMSS's file here: a GBV service provider's case worker of ALPHA in Mopti, not a monitor.
    Row AMSS-MPT-0303 carries a GBVIMS survivor's details (type, sex, consent), which only a GBV service
    provider may import since issue 14, point 2 (a monitor's row would be refused, see test_p2_*)."""
    return caseworker_in_area


def upload(user, organisation, name=HXL, *, source=SOURCE, kind="incidents"):
    return import_job_upload(
        actor=user,
        kind=kind,
        organisation=organisation,
        filename=name,
        content=fixture_bytes(name),
        source=source,
    )


def waiting(job) -> dict:
    return {
        (entry["column"], entry["value"]): (entry["rows"], (entry["suggestions"] or [[None]])[0][0])
        for entry in job.unmapped
    }


def accept_suggestions(user, job, **kwargs):
    """Map every value to its first suggestion, as a user who agrees with them all would."""
    choices = {entry["id"]: entry["suggestions"][0][0] for entry in job.unmapped}
    return value_mappings_save(actor=user, job=job, choices=choices, **kwargs)


def imported() -> dict:
    return {
        incident.source_id: (
            incident.perpetrator_category,
            incident.source_mechanism,
            incident.area.pcode,
            tuple(sorted(link.category for link in incident.category_links.all())),
        )
        for incident in Incident.objects.select_related("area").prefetch_related("category_links")
    }


def test_partners_words_wait_for_a_mapping_listed_once_with_rows_and_suggestions(monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)

    assert job.status == "mapping" and job.error_count == 0
    assert waiting(job) == WAITING
    mopit = next(entry for entry in job.unmapped if entry["value"] == "Mopit")
    assert mopit["suggestions"][0] == ["ML0501", "Mopti (ML0501), Mopti"]
    assert mopit["first_row"] == 3 and mopit["place_level"] == 2
    assert job.preview["pending_rows"] == 5
    # What must not happen: nothing written, and the job cannot be imported before its values are mapped.
    assert Incident.objects.count() == 0
    with pytest.raises(ValidationError):
        commit(monitor, job)
    assert Incident.objects.count() == 0 and ValueMapping.objects.count() == 0


def test_mapped_values_are_remembered_and_the_job_checked_again(monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)

    job = accept_suggestions(monitor, job)

    assert job.status == "valid" and job.unmapped == [] and job.valid_count == 5
    assert Incident.objects.count() == 0, "mapping writes no record"
    assert ValueMapping.objects.filter(organisation=alpha, source=SOURCE, kind="incidents").count() == 12
    [entry] = AuditEntry.objects.filter(action="import", object_id=str(job.public_id), detail__step="map")
    assert entry.detail["created"] == 12 and entry.detail["changed"] == 0
    assert "Mopit" not in str(entry.detail) and "FDS" not in str(entry.detail), "no cell in the audit log"
    job = commit(monitor, job)
    assert (job.status, job.created_count) == ("committed", 5)
    assert imported() == {
        "AMSS-MPT-0301": ("state_forces", "community_focal_point", "ML050114", ("life",)),
        "AMSS-MPT-0302": ("militia", "monitoring_interview", "ML050113", ("liberty",)),
        "AMSS-MPT-0303": ("militia", "community_focal_point", "ML050208", ("gbv",)),
        "AMSS-MPT-0304": ("state_forces", "media", "ML050105", ("property",)),
        "AMSS-MPT-0305": ("state_forces", "monitoring_interview", "ML050104", ("life",)),
    }
    assert Incident.objects.get(source_id="AMSS-MPT-0303").gbv.gbv_type == "rape"


@pytest.mark.parametrize("again", [HXL, "p5_amss_monitoring.xlsx"])
def test_the_next_file_of_the_source_is_mapped_from_the_earlier_choices(monitor, alpha, mali_mopti, again):
    commit(monitor, accept_suggestions(monitor, upload(monitor, alpha)))
    before = imported()

    job = upload(monitor, alpha, again)

    assert job.status == "valid" and job.unmapped == []
    assert len(job.preview["remembered"]) == 12
    assert {(used["value"], used["code"], used["rows"]) for used in job.preview["remembered"]} >= {
        ("FDS", "state_forces", 2),
        ("Mopit", "ML0501", 2),
    }
    # A re-import of a mapped file changes nothing.
    job = commit(monitor, job)
    assert (job.created_count, job.unchanged_count) == (0, 5)
    assert imported() == before


def test_another_source_or_organisation_starts_afresh(monitor, alpha, outsider, beta, mali_mopti):
    accept_suggestions(monitor, upload(monitor, alpha))

    other_source = upload(monitor, alpha, source="Fichier DRC")
    other_organisation = upload(outsider, beta)

    assert waiting(other_source) == WAITING
    # Another organisation's choices are never applied, nor shown.
    assert waiting(other_organisation) == WAITING
    assert other_organisation.preview["remembered"] == []


def test_a_source_name_is_compared_without_case_or_accents(monitor, alpha, mali_mopti):
    accept_suggestions(monitor, upload(monitor, alpha, source="Kobo AMSS Mopti"))

    assert upload(monitor, alpha, source="  kobo amss  MOPTI ").status == "valid"


def test_an_earlier_choice_can_be_changed_audited(monitor, alpha, mali_mopti):
    accept_suggestions(monitor, upload(monitor, alpha))
    job = upload(monitor, alpha)
    milice = next(used for used in job.preview["remembered"] if used["value"] == "Milice")

    job = value_mappings_save(actor=monitor, job=job, choices={milice["id"]: "nsag"})

    assert job.status == "valid"
    assert next(used for used in job.preview["remembered"] if used["value"] == "Milice")["code"] == "nsag"
    entry = AuditEntry.objects.filter(detail__step="map").order_by("-id").first()
    assert (entry.detail["created"], entry.detail["changed"], entry.detail["codes"]) == (0, 1, ["nsag"])
    assert commit(monitor, job).created_count == 5
    assert imported()["AMSS-MPT-0302"][0] == "nsag"


def test_a_partial_mapping_leaves_the_rest_waiting(monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)
    fds = next(entry for entry in job.unmapped if entry["value"] == "FDS")

    job = value_mappings_save(actor=monitor, job=job, choices={fds["id"]: "state_forces"})

    assert job.status == "mapping" and ("perpetrator_category", "FDS") not in waiting(job)
    assert len(job.unmapped) == 11
    with pytest.raises(ValidationError):
        commit(monitor, job)
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("FDS", "police"),  # not a code of the perpetrators' list
        ("Mopit", "ML05"),  # a region's P-code for a cercle
        ("Mopit", "ML9999"),  # no such area
    ],
)
def test_a_refused_choice_saves_nothing(monitor, alpha, mali_mopti, value, code):
    job = upload(monitor, alpha)
    entries = {entry["value"]: entry["id"] for entry in job.unmapped}
    choices = {entries["Milice"]: "militia", entries[value]: code}

    with pytest.raises(ValidationError):
        value_mappings_save(actor=monitor, job=job, choices=choices)

    job.refresh_from_db()
    assert ValueMapping.objects.count() == 0 and job.status == "mapping" and len(job.unmapped) == 12
    assert not AuditEntry.objects.filter(detail__step="map").exists()


def test_a_job_imported_or_refused_cannot_be_mapped(monitor, alpha, mali_mopti):
    job = commit(monitor, accept_suggestions(monitor, upload(monitor, alpha)))
    count = ValueMapping.objects.count()

    with pytest.raises(ValidationError):
        value_mappings_save(actor=monitor, job=job, choices={"0" * 12: "nsag"})
    assert ValueMapping.objects.count() == count


def test_another_organisations_user_may_not_map(monitor, alpha, outsider, mali_mopti):
    job = upload(monitor, alpha)

    with pytest.raises(PermissionDenied):
        accept_suggestions(outsider, job)

    job.refresh_from_db()
    assert ValueMapping.objects.count() == 0 and job.status == "mapping"
    assert AuditEntry.objects.filter(action="denied", object_id=str(job.public_id)).exists()


# --- The page ------------------------------------------------------------------------------------------


def form_data(job) -> dict:
    return {f"map-{entry['id']}": entry["suggestions"][0][0] for entry in job.unmapped} | {
        "source": job.source
    }


def test_the_page_lists_the_values_and_maps_them(signed_in, monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)
    client = signed_in(monitor)
    url = reverse("ingest:job-detail", args=[job.public_id])

    page = client.get(url).content.decode()
    assert all(f'name="map-{entry["id"]}"' in page for entry in job.unmapped)
    assert "Forces armées ou de sécurité de l&#x27;État" in page  # the suggestion, in French
    assert "Mopti (ML0501), Mopti" in page
    assert reverse("ingest:job-commit", args=[job.public_id]) not in page

    response = client.post(reverse("ingest:job-map", args=[job.public_id]), form_data(job))

    assert response.status_code == 302 and response["Location"] == url
    job.refresh_from_db()
    assert job.status == "valid" and Incident.objects.count() == 0
    page = client.get(url).content.decode()
    assert reverse("ingest:job-commit", args=[job.public_id]) in page


def test_the_page_reports_a_choice_that_is_not_in_the_list(signed_in, monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)
    data = form_data(job)
    fds = next(entry for entry in job.unmapped if entry["value"] == "FDS")
    data[f"map-{fds['id']}"] = "<script>"

    response = signed_in(monitor).post(reverse("ingest:job-map", args=[job.public_id]), data)

    assert response.status_code == 400 and "<script>" not in response.content.decode()
    assert ValueMapping.objects.count() == 0


def test_a_place_may_be_mapped_to_a_pcode_typed(signed_in, monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)
    data = form_data(job)
    sokoura = next(entry for entry in job.unmapped if entry["value"] == "Sokoura")
    data[f"map-{sokoura['id']}"] = ""
    data[f"pcode-{sokoura['id']}"] = "ml050113"

    signed_in(monitor).post(reverse("ingest:job-map", args=[job.public_id]), data)

    assert ValueMapping.objects.get(column="adm3_name").code == "ML050113"
    commit(monitor, ImportJob.objects.get(pk=job.pk))
    assert imported()["AMSS-MPT-0301"][2] == "ML050113"


def test_a_reader_cannot_map(signed_in, reader, monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)

    response = signed_in(reader).post(reverse("ingest:job-map", args=[job.public_id]), form_data(job))

    assert response.status_code == 403
    job.refresh_from_db()
    assert ValueMapping.objects.count() == 0 and job.status == "mapping"


def test_another_organisation_gets_404_and_changes_nothing(signed_in, outsider, monitor, alpha, mali_mopti):
    job = upload(monitor, alpha)
    client = signed_in(outsider)

    assert client.get(reverse("ingest:job-detail", args=[job.public_id])).status_code == 404
    response = client.post(reverse("ingest:job-map", args=[job.public_id]), form_data(job))

    assert response.status_code == 404
    job.refresh_from_db()
    assert ValueMapping.objects.count() == 0 and job.status == "mapping"


def test_another_organisations_mappings_are_not_shown(signed_in, monitor, alpha, outsider, beta, mali_mopti):
    accept_suggestions(monitor, upload(monitor, alpha))
    job = upload(outsider, beta)

    page = signed_in(outsider).get(reverse("ingest:job-detail", args=[job.public_id])).content.decode()

    assert job.status == "mapping" and job.preview["remembered"] == []
    assert "Change an earlier choice" not in page and "choix précédent" not in page


# --- Large files, other kinds, the command line --------------------------------------------------------


def test_a_large_job_is_checked_again_by_the_worker(monitor, alpha, mali_mopti, settings):
    settings.SENTINELLE = {**settings.SENTINELLE, "IMPORT_INLINE_MAX_ROWS": 2}
    job = upload(monitor, alpha)
    jobs_run_pending(worker="test")
    job.refresh_from_db()
    assert job.status == "mapping"

    job = accept_suggestions(monitor, job)

    assert job.status == "uploaded" and job.background
    jobs_run_pending(worker="test")
    job.refresh_from_db()
    assert job.status == "valid" and job.valid_count == 5


def test_a_partners_4w_file_goes_through_the_same_step(manager, alpha, mali_mopti):
    job = upload(manager, alpha, "p5_drc_4w_hxl.csv", source="4W DRC", kind="activities")

    assert job.status == "mapping" and job.errors == []
    assert waiting(job) == {
        ("activity_type", "Sensibilisation"): (1, "awareness"),
        ("activity_type", "Groupe de parole"): (1, "pss_session"),
        ("population_status", "PDI"): (2, "idp"),
        ("adm2_name", "Mopit"): (1, "ML0501"),
        ("adm3_name", "Sokoura"): (1, "ML050114"),
    }
    job = accept_suggestions(manager, job)
    assert job.status == "valid", job.errors
    assert commit(manager, job).created_count == 3
    assert set(Activity.objects.values_list("source_key", "activity_type", "area__pcode")) == {
        ("DRC-4W-0311", "awareness", "ML050114"),
        ("DRC-4W-0312", "pss_session", "ML050114"),
        ("DRC-4W-0313", "training", "ML050208"),
    }
    again = upload(manager, alpha, "p5_drc_4w_hxl.csv", source="4W DRC", kind="activities")
    assert again.status == "valid" and commit(manager, again).unchanged_count == 3


def test_the_command_line_lists_the_values_to_map_then_imports_with_the_source(
    monitor, alpha, mali_mopti, capsys
):
    path = str(FIXTURES / HXL)
    options = ["--org", "ALPHA", "--user", monitor.username, "--source", SOURCE, "--commit"]
    with pytest.raises(CommandError) as refused:
        call_command("import_data", "incidents", path, *options)
    assert refused.value.returncode == 1 and Incident.objects.count() == 0
    assert "FDS" in capsys.readouterr().err
    accept_suggestions(monitor, ImportJob.objects.get())

    call_command("import_data", "incidents", path, *options)

    assert Incident.objects.count() == 5


def test_the_source_can_be_named_at_the_mapping_step(monitor, alpha, mali_mopti):
    job = upload(monitor, alpha, source="")

    job = accept_suggestions(monitor, job, source="Kobo AMSS Mopti")

    assert job.source == "Kobo AMSS Mopti" and job.status == "valid"
    assert set(ValueMapping.objects.values_list("source", flat=True)) == {"Kobo AMSS Mopti"}
    assert upload(monitor, alpha, source="Kobo AMSS Mopti").status == "valid"
    assert upload(monitor, alpha, source="").status == "mapping"


# --- Several codes in one cell -------------------------------------------------------------------------


def test_a_cell_of_several_codes_lists_only_its_unknown_parts():
    codes = get_kind("incidents").columns_by_key["categories"].codes

    with pytest.raises(UnknownCode) as unknown:
        codes.parse_many("Atteinte au droit de propriété (vol, extorsion, destruction, expulsion); Pillage")

    assert unknown.value.values == ["Pillage"]
    assert codes.parse_many("life integrity") == ["life", "integrity"]  # Kobo's select_multiple
    assert codes.parse_many("life;liberty,property") == ["life", "liberty", "property"]


def test_a_mapping_applies_to_a_part_of_a_cell_and_never_to_a_known_code():
    kind = get_kind("incidents")
    values = ValueMap(
        kind,
        {"categories": {"pillage": "property", "life": "cohesion"}, "perpetrator_category": {"fds": "nsag"}},
    )

    raw = values.apply({"categories": "Atteinte au droit à la vie; Pillage", "perpetrator_category": "FDS"})

    assert raw == {"categories": "Atteinte au droit à la vie; property", "perpetrator_category": "nsag"}
    # A code or a label of the list always means itself, whatever a mapping says.
    assert values.apply({"categories": "life"}) == {"categories": "life"}
    assert values.applied() == {
        "categories": {"pillage": "property"},
        "perpetrator_category": {"fds": "nsag"},
    }
