"""Two supervisors pressing at the same moment: one draft per script, one published version."""

import threading
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from followups.scripts import services
from followups.scripts.models import Script, ScriptVersion
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def published_script(key: str, by) -> Script:
    """A script of its own with a published v1 of two questions: a transactional test's database is
    emptied after it (the seeded scripts too), so it relies on nothing seeded."""
    script = services.script_create(key=key, name="到店关怀回访", kind="first_maint", brand="renault", by=by)
    draft = script.versions.get()
    services.question_add(version=draft, text="首保是否顺利？", kind="yes_no", dissatisfied_answers=["no"])
    services.question_add(version=draft, text="总体满意度打几分？", kind="score", dissatisfied_below=7)
    services.draft_publish(version=draft, by=by, now=NOW)
    return script


def at_once(count: int, work) -> list:
    """Run `work` in `count` threads released together, each with its own connection; what each
    returned or raised."""
    barrier, results = threading.Barrier(count), [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work()
        except Exception as error:  # the refusal is the result
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_six_new_versions_started_at_once_give_one_draft():
    supervisor = UserFactory(username="supervisor_a")
    script = published_script("concurrent_a", supervisor)
    results = at_once(6, lambda: services.script_draft_start(script=script, by=supervisor))
    drafts = [r for r in results if isinstance(r, ScriptVersion)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(drafts) == 1 and len(refused) == 5
    assert script.versions.filter(status="draft").count() == 1
    assert drafts[0].questions.count() == 2


def test_a_draft_published_twice_at_once_is_published_once():
    supervisor = UserFactory(username="supervisor_b")
    script = published_script("concurrent_b", supervisor)
    draft = services.script_draft_start(script=script, by=supervisor)
    results = at_once(4, lambda: services.draft_publish(version=ScriptVersion.objects.get(pk=draft.pk),
                                                        by=supervisor, now=NOW))
    assert sum(isinstance(r, ScriptVersion) for r in results) == 1
    assert sum(isinstance(r, ValidationError) for r in results) == 3
    assert dict(script.versions.values_list("number", "status")) == {1: "retired", 2: "published"}
