"""The scripts a new installation starts with (migration 0002)."""

import pytest

from followups.scripts.models import Factor, Script
from tests.followups.factories import seeded_scripts

SSI_FACTORS = {"delivery", "sales_init", "deal", "dealer_facility", "salesperson", "overall"}
CSI_FACTORS = {"service_quality", "service_facility", "pick_up", "advisor", "service_init", "overall"}


@pytest.fixture(autouse=True)
def _seeded_scripts(db):
    seeded_scripts()


def published(key: str):
    return Script.objects.get(key=key).versions.get(status="published")


@pytest.mark.django_db
def test_each_seeded_script_has_a_published_v1():
    keys = ["renault_ssi", "renault_csi", "mitsubishi_ssi", "mitsubishi_csi", "thank_you", "second_callback", "custom"]
    for key in keys:
        version = published(key)
        assert version.number == 1 and version.questions.exists() and "{agent}" in version.opening


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "factors"), [("renault_ssi", SSI_FACTORS), ("mitsubishi_ssi", SSI_FACTORS),
                                              ("renault_csi", CSI_FACTORS), ("mitsubishi_csi", CSI_FACTORS)])
def test_the_ssi_and_csi_scripts_ask_every_factor_of_their_study(key, factors):
    questions = list(published(key).questions.all())
    assert {q.factor for q in questions} - {Factor.OTHER} == factors
    scores = [q for q in questions if q.kind == "score"]
    assert scores and all(q.dissatisfied_below == 7 for q in scores)
    assert any(q.kind == "yes_no" and q.dissatisfied_answers for q in questions)
    last = questions[-1]
    assert (last.text, last.kind, last.required) == ("您对我们还有什么建议？", "text", False)


@pytest.mark.django_db
def test_the_renault_ssi_asks_whether_the_features_were_explained_at_delivery():
    question = published("renault_ssi").questions.get(text__startswith="交车时销售顾问是否讲解了车辆功能")
    assert (question.factor, question.kind, question.dissatisfied_answers) == ("delivery", "yes_no", ["no"])


@pytest.mark.django_db
def test_the_second_callback_asks_whether_the_fix_satisfied_the_customer():
    script = Script.objects.get(key="second_callback")
    first, second = published("second_callback").questions.order_by("position")[:2]
    assert (script.kind, script.brand) == ("second", "")
    assert (first.text, first.kind, first.dissatisfied_answers) == (
        "上次您反映的问题已处理，请问您对处理结果满意吗？", "yes_no", ["no"])
    assert second.kind == "score"


@pytest.mark.django_db
def test_the_all_brand_scripts_have_no_brand():
    assert set(Script.objects.filter(brand="").values_list("key", flat=True)) >= {"thank_you", "second_callback",
                                                                                    "custom"}
