"""`manage.py createadmin`: the first administrator, asked for or from the environment, audited; refused
(non-zero exit, nothing written) once an administrator exists, unless --force-another."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from sentinelle.accounts.models import Membership, Organisation, User
from sentinelle.core.models import AuditAction, AuditEntry, Role

pytestmark = pytest.mark.django_db

PASSWORD = "Une-phrase-de-passe-longue-2026"
ENV = {
    "SENTINELLE_ADMIN_USERNAME": "awa.keita",
    "SENTINELLE_ADMIN_EMAIL": "Awa.Keita@cluster.example.org",
    "SENTINELLE_ADMIN_PASSWORD": PASSWORD,
    "SENTINELLE_ADMIN_FULL_NAME": "Awa Keïta",
    "SENTINELLE_ADMIN_ORGANISATION_ACRONYM": "CLUSTER",
    "SENTINELLE_ADMIN_ORGANISATION": "Cluster Protection Mali",
}


@pytest.fixture(autouse=True)
def no_admin_environment(monkeypatch):
    for name in [*ENV, "SENTINELLE_ADMIN_PASSWORD_FILE"]:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def admin_environment(monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def _run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("createadmin", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _written() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Membership.objects.count(),
        Organisation.objects.count(),
        AuditEntry.objects.count(),
    )


def _assert_administrator(username: str, acronym: str) -> User:
    user = User.objects.get(username=username)
    membership = user.memberships.get()
    assert (membership.role, membership.organisation.acronym) == (Role.ADMIN, acronym)
    assert user.check_password(PASSWORD)
    assert not TOTPDevice.objects.filter(user=user).exists()  # enrolled at the first sign-in
    return user


def test_it_asks_for_each_value_on_standard_input(monkeypatch):
    identity = ["awa.keita", "awa@cluster.example.org", "Awa Keïta", "CLUSTER", "Cluster Protection Mali"]
    answers = "\n".join([*identity, PASSWORD, PASSWORD, ""])
    output = _run(stdin=answers, monkeypatch=monkeypatch)

    user = _assert_administrator("awa.keita", "CLUSTER")
    assert user.email == "awa@cluster.example.org" and user.full_name == "Awa Keïta"
    assert Organisation.objects.get(acronym="CLUSTER").name == "Cluster Protection Mali"
    assert "two-factor" in output
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(user.public_id))
    assert entry.user is None
    assert entry.detail["channel"] == "command" and entry.detail["role"] == Role.ADMIN


def test_two_different_passwords_are_asked_again(monkeypatch):
    answers = "\n".join(["awa.keita", "awa@cluster.example.org", "", "CLUSTER", "Cluster Protection Mali"])
    answers += "\n" + "\n".join([PASSWORD, "something-else-2026", PASSWORD, PASSWORD]) + "\n"
    _run(stdin=answers, monkeypatch=monkeypatch)
    _assert_administrator("awa.keita", "CLUSTER")


def test_no_input_reads_the_environment(admin_environment):
    _run("--no-input")
    user = _assert_administrator("awa.keita", "CLUSTER")
    assert user.email == "awa.keita@cluster.example.org"


def test_the_password_may_come_from_a_file(admin_environment, monkeypatch, tmp_path):
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    monkeypatch.delenv("SENTINELLE_ADMIN_PASSWORD")
    monkeypatch.setenv("SENTINELLE_ADMIN_PASSWORD_FILE", str(secret))
    _run("--no-input")
    _assert_administrator("awa.keita", "CLUSTER")


def test_an_existing_organisation_is_joined(admin_environment, cluster):
    before = Organisation.objects.count()
    _run("--no-input")
    _assert_administrator("awa.keita", cluster.acronym)
    assert Organisation.objects.count() == before


def test_a_second_run_is_refused_and_writes_nothing(admin_environment, monkeypatch):
    _run("--no-input")
    written = _written()
    monkeypatch.setenv("SENTINELLE_ADMIN_USERNAME", "second.admin")
    monkeypatch.setenv("SENTINELLE_ADMIN_EMAIL", "second@cluster.example.org")

    for _attempt in range(2):
        with pytest.raises(CommandError, match="already has an administrator"):
            _run("--no-input")

    assert _written() == written
    assert not User.objects.filter(username="second.admin").exists()


def test_an_existing_administrator_is_enough_to_refuse(admin, admin_environment):
    written = _written()
    with pytest.raises(CommandError, match="--force-another"):
        _run("--no-input")
    assert _written() == written


def test_force_another_adds_an_administrator(admin, admin_environment):
    _run("--no-input", "--force-another")
    user = _assert_administrator("awa.keita", "CLUSTER")
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_id=str(user.public_id))
    assert entry.detail["another_administrator"] is True


def test_every_problem_is_reported_and_nothing_written(admin_environment, monkeypatch):
    monkeypatch.setenv("SENTINELLE_ADMIN_PASSWORD", "123")
    monkeypatch.setenv("SENTINELLE_ADMIN_EMAIL", "not an address")
    monkeypatch.setenv("SENTINELLE_ADMIN_ORGANISATION", "")
    written = _written()
    with pytest.raises(CommandError) as refused:
        _run("--no-input")
    message = str(refused.value)
    assert "password" in message and "email" in message and "organisation_name" in message
    assert _written() == written


def test_no_input_without_a_value_is_refused(admin_environment, monkeypatch):
    monkeypatch.delenv("SENTINELLE_ADMIN_PASSWORD")
    written = _written()
    with pytest.raises(CommandError, match="SENTINELLE_ADMIN_PASSWORD"):
        _run("--no-input")
    assert _written() == written


def test_the_first_sign_in_leads_to_two_factor_enrolment(admin_environment, client):
    _run("--no-input")
    response = client.post(reverse("accounts:login"), {"identifier": "awa.keita", "password": PASSWORD})
    assert response.status_code == 302

    for page in (reverse("core:home"), reverse("accounts:user-list"), reverse("core:audit-list")):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:otp-setup"))
