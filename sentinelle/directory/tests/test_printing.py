"""The printed referral pathway (directory/printing.py): A4 landscape, nothing cut at the right edge, a
cost or a date never split, long lists running over pages with their header."""

import datetime
import shutil
import subprocess

import pytest
from django.utils import translation

from sentinelle.directory.models import Cost, ServiceType
from sentinelle.directory.printing import pathway_document
from sentinelle.directory.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

LONG_NAME = (
    "Service de prise en charge intégrée des survivantes et des enfants non accompagnés, antenne "
    "mobile de la Route nationale 6"
)


def _beyond_the_right_edge(document) -> list[str]:
    """Boxes whose right border edge passes the page's content edge (what a printer would cut)."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        root = page._page_box
        right = root.position_x + root.margin_width() - root.margin_right
        for box in root.descendants():
            if getattr(box, "width", None) is None or not hasattr(box, "border_width"):
                continue
            edge = box.position_x + box.margin_left + box.border_width()
            if edge > right + 0.5:
                found.append(f"page {number}: {type(box).__name__} +{edge - right:.1f}px")
    return found


def _text(document, tmp_path) -> str:
    executable = shutil.which("pdftotext")
    if executable is None:
        pytest.skip("pdftotext is not installed (poppler-utils)")
    path = tmp_path / "pathway.pdf"
    path.write_bytes(document.write_pdf())
    command = [executable, "-layout", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True, text=True).stdout  # noqa: S603


@pytest.fixture
def subsidised(places, alpha):
    return ServiceFactory(
        name="Hôpital Sominé Dolo de Mopti",
        provider=alpha,
        area=places.mopti_commune,
        areas_served=[places.mopti_cercle],
        cost=Cost.SUBSIDISED,
        contact_email="urgences.hopital-somine-dolo@sante-mopti.example.org",
        last_verified_on=datetime.date(2026, 11, 11),
    )


def test_the_page_is_a4_landscape_and_nothing_is_cut(reader, places, subsidised, tmp_path):
    with translation.override("fr"):
        document = pathway_document(user=reader, area=places.mopti_cercle)
        page = document.pages[0]
        assert (round(page.width, 1), round(page.height, 1)) == (1122.5, 793.7)
        assert _beyond_the_right_edge(document) == []
        lines = _text(document, tmp_path).splitlines()
    row = next(line for line in lines if "Hôpital Sominé Dolo" in line)
    # The cost and the verification date whole, on the service's first line.
    assert "Subventionné" in row and "11/11/2026" in row
    assert not any(line.strip().startswith("né") for line in lines)


def test_many_services_with_long_names_run_over_pages_with_their_header(reader, places, alpha, tmp_path):
    types = [ServiceType.HEALTH, ServiceType.PSS, ServiceType.LEGAL, ServiceType.CHILD_PROTECTION]
    for number in range(24):
        ServiceFactory(
            name=f"{LONG_NAME} n°{number}",
            service_type=types[number % len(types)],
            provider=alpha,
            area=places.mopti_commune,
            areas_served=[places.mopti_cercle],
            address="Route nationale 6, en face de la station, quartier administratif",
            contact_email=f"antenne{number}.prise-en-charge@association-des-juristes.example.org",
            languages="Fulfulde, bambara, dogon, songhay, tamasheq, arabe, français",
            cost=Cost.SUBSIDISED,
            last_verified_on=datetime.date(2026, 11, 1 + number),
        )
    with translation.override("fr"):
        document = pathway_document(user=reader, area=places.mopti_cercle)
        assert len(document.pages) >= 2
        assert _beyond_the_right_edge(document) == []
        text = _text(document, tmp_path)
    pages = text.split("\f")
    # Every page repeats the table's header; the later ones name the cercle at the top.
    assert all("Vérifié" in page for page in pages if page.strip())
    assert "Circuit de référencement — cercle de Mopti" in pages[1].splitlines()[0]
    assert text.count("Subventionné") == 24 and all(f"{day:02d}/11/2026" in text for day in range(1, 25))
