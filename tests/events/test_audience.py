"""The target group's filters, each alone and combined, counted as the list holds them; merged
customers and ended vehicle roles never count; the filters in words."""

from datetime import date

import pytest

from customers.models import Customer
from events.audience import AudienceError, audience_clean, audience_count, audience_customers, audience_describe
from tests.events.conftest import customer_with_car, enrol, tier

pytestmark = pytest.mark.django_db


def names(filters: dict) -> set[str]:
    chosen = set(audience_customers(filters=filters).values_list("name", flat=True))
    assert audience_count(filters=filters) == len(chosen)
    return chosen


@pytest.fixture
def archive():
    gold, silver = tier("金卡", 30000), tier("银卡", 10000)
    people = {
        "甲": customer_with_car(name="甲", model_name="科雷傲", interests="钓鱼 自驾游", importance="vip",
                               last_visit_on=date(2026, 11, 20), address="合肥市蜀山区长江西路1号",
                               birthday=date(1980, 12, 5)),
        "乙": customer_with_car(name="乙", model_name="卡缤", interests="摄影、Golf", address="合肥市包河区",
                               last_visit_on=date(2026, 3, 1), birthday=date(1990, 6, 12)),
        "丙": customer_with_car(name="丙", brand="mitsubishi", model_name="欧蓝德", interests="高尔夫",
                               importance="important", last_visit_on=date(2025, 12, 31), mobile=""),
        "丁": customer_with_car(name="丁", model_name="科雷傲", ended=True, interests="钓鱼"),  # sold the car
    }
    Customer.objects.filter(pk__in=[c.pk for c in people.values()]).update(last_visit_on=None)
    for name, visit in (("甲", date(2026, 11, 20)), ("乙", date(2026, 3, 1)), ("丙", date(2025, 12, 31))):
        Customer.objects.filter(pk=people[name].pk).update(last_visit_on=visit)
    enrol(people["甲"], tier=gold)
    enrol(people["乙"], tier=silver)
    enrol(people["丁"], tier=gold, status="left")
    merged = customer_with_car(name="戊", interests="钓鱼")
    Customer.all_objects.filter(pk=merged.pk).update(merged_into=people["甲"])
    return people


def test_no_filter_is_every_active_customer(archive):
    assert names({}) == {"甲", "乙", "丙", "丁"}


def test_brands_and_models_are_of_cars_they_have_now(archive):
    assert names({"brands": ["renault"]}) == {"甲", "乙"}
    assert names({"brands": ["mitsubishi"]}) == {"丙"}
    assert names({"models": ["科雷傲"]}) == {"甲"}
    assert names({"brands": ["renault", "mitsubishi"], "models": ["科雷傲", "欧蓝德"]}) == {"甲", "丙"}


def test_interests_match_any_word_latin_ones_whatever_their_case(archive):
    assert names({"interests": "钓鱼"}) == {"甲", "丁"}
    assert names({"interests": "摄影 高尔夫"}) == {"乙", "丙"}
    assert names({"interests": "golf"}) == {"乙"}
    assert names({"interests": "钓鱼，golf"}) == {"甲", "乙", "丁"}


def test_tiers_members_only_and_non_members(archive):
    gold = tier("金卡", 30000)
    assert names({"tiers": [gold.pk]}) == {"甲"}  # 丁 left the club
    assert names({"tiers": ["none"]}) == {"丙", "丁"}
    assert names({"tiers": [str(gold.pk), "none"]}) == {"甲", "丙", "丁"}
    assert names({"members_only": True}) == {"甲", "乙"}


def test_importance_last_visit_district_birthday_month_and_mobile(archive):
    assert names({"importance": ["vip", "important"]}) == {"甲", "丙"}
    assert names({"last_visit_after": "2026-01-01"}) == {"甲", "乙"}
    assert names({"last_visit_before": "2026-03-01"}) == {"乙", "丙"}
    assert names({"last_visit_after": "2026-01-01", "last_visit_before": "2026-06-30"}) == {"乙"}
    assert names({"district": "蜀山区"}) == {"甲"}
    assert names({"birthday_month": 12}) == {"甲"}
    assert names({"has_mobile": False}) == {"丙"}
    assert names({"has_mobile": True}) == {"甲", "乙", "丁"}


def test_filters_combine_as_and(archive):
    assert names({"brands": ["renault"], "interests": "钓鱼", "members_only": True}) == {"甲"}
    assert names({"interests": "钓鱼", "tiers": ["none"]}) == {"丁"}
    assert names({"members_only": True, "last_visit_before": "2026-06-30", "district": "包河"}) == {"乙"}
    assert names({"brands": ["mitsubishi"], "members_only": True}) == set()


def test_the_filters_are_kept_clean(archive):
    assert audience_clean({"brands": ["renault", "renault"], "interests": " 钓鱼，摄影 ", "members_only": "",
                           "birthday_month": "3", "district": ""}) == {
        "brands": ["renault"], "interests": "钓鱼 摄影", "birthday_month": 3}
    for bad in ({"colour": "red"}, {"brands": ["bmw"]}, {"birthday_month": 13}, {"last_visit_after": "昨天"},
                {"last_visit_after": "2026-05-01", "last_visit_before": "2026-01-01"}, {"tiers": ["gold"]}):
        with pytest.raises(AudienceError):
            audience_clean(bad)


def test_the_filters_in_words(archive):
    gold = tier("金卡", 30000)
    assert audience_describe({"brands": ["renault", "mitsubishi"], "tiers": [gold.pk, "none"], "birthday_month": 5,
                              "interests": "钓鱼 摄影", "members_only": True}) == [
        "品牌：三菱、雷诺", "爱好兴趣：包含任一：钓鱼、摄影", "会员等级：金卡、非会员", "仅限会员：是", "生日月份：5"]
    assert audience_describe({}) == []


def test_the_count_is_one_or_two_statements(archive, django_assert_num_queries):
    # The savepoint, SET LOCAL jit, the customers who match less the merged who match, the release.
    with django_assert_num_queries(5):
        assert audience_count(filters={"brands": ["renault"], "tiers": ["none"], "interests": "钓鱼 golf",
                                       "district": "合肥", "birthday_month": 12, "has_mobile": True}) == 0
    # Cars and membership alone: the distinct customers of the vehicle roles, in one statement.
    with django_assert_num_queries(4):
        assert audience_count(filters={"brands": ["renault"], "members_only": True}) == 2


def test_every_shape_of_count_agrees_with_the_list_and_leaves_the_merged_out(archive):
    gold = tier("金卡", 30000)
    merged = Customer.all_objects.get(name="戊")
    enrol(merged, tier=gold)
    for filters in ({}, {"brands": ["renault"]}, {"models": ["科雷傲"], "tiers": [gold.pk]}, {"tiers": [gold.pk]},
                    {"members_only": True}, {"interests": "钓鱼"}, {"last_visit_after": "2025-01-01"},
                    {"brands": ["renault"], "interests": "钓鱼"}):
        assert audience_count(filters=filters) == audience_customers(filters=filters).count(), filters
    assert audience_count(filters={"tiers": [gold.pk]}) == 1
