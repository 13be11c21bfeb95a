"""Follow-ups between sibling domains run after commit, and never when the write is rolled back."""

import pytest
from django.db import transaction

from sentinelle.core import hooks

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    calls = []

    def handler(**payload):
        calls.append(payload)

    hooks.follow("test.topic", handler)
    hooks.follow("test.topic", handler)  # following twice registers once
    yield calls
    hooks._FOLLOWERS.pop("test.topic")


def test_followers_run_once_the_transaction_commits(heard):
    with transaction.atomic():
        hooks.announce("test.topic", event_ids=[1, 2])
        assert heard == []
    assert heard == [{"event_ids": [1, 2]}]


def test_followers_do_not_run_when_the_write_is_rolled_back(heard):
    with pytest.raises(RuntimeError), transaction.atomic():
        hooks.announce("test.topic", event_ids=[3])
        raise RuntimeError("the write failed")
    assert heard == []


def test_a_topic_nobody_follows_is_harmless(db):
    with transaction.atomic():
        hooks.announce("nobody.listens", x=1)
    assert hooks.followers("nobody.listens") == []
