"""What the club starts with (the store changes them in the admin): the four tiers by cumulative points
and their benefits, and the points each yuan of a paid repair order earns by its type.

- Tiers (the brand club's norm: 10,000 / 30,000 / 60,000 points): 普卡 from 0, 银卡 from 10,000,
  金卡 from 30,000, 白金卡 from 60,000.
- Points rules: one point a yuan for maintenance, repairs and bodywork, half a point for accident
  repairs (the insurer pays most of them). Warranty work (the maker pays) and internal orders earn
  nothing: they have no rule. With the rewards' prices (a labour hour for about 5,000 points), points
  are worth 1–4 % of the spend.
The rewards (accessories with their stock, labour hours) are the store's own: the demo adds some.
"""

from django.db import migrations

TIERS = [
    ("普卡", 0, "会员积分；保养、维修消费每元累积积分；积分兑换精品和工时"),
    ("银卡", 10_000, "普卡权益；每次保养免费洗车；工时费9.5折"),
    ("金卡", 30_000, "银卡权益；工时费9折；免费上门取送车；会员自驾游优先报名"),
    ("白金卡", 60_000, "金卡权益；工时费8.8折；专属服务顾问；优先预约工位；生日礼品"),
]
RULES = [("first", "1.00"), ("scheduled", "1.00"), ("repair", "1.00"), ("bodywork", "1.00"), ("accident", "0.50")]


def create(apps, schema_editor):
    """Idempotent (get-or-create): also what tests call after a transactional test emptied the tables."""
    Tier = apps.get_model("membership", "Tier")
    PointsRule = apps.get_model("membership", "PointsRule")
    for name, threshold, benefits in TIERS:
        if not Tier.objects.filter(threshold=threshold).exists():
            Tier.objects.get_or_create(name=name, defaults={"threshold": threshold, "benefits": benefits})
    for kind, rate in RULES:
        PointsRule.objects.get_or_create(visit_kind=kind, defaults={"points_per_yuan": rate})


def remove(apps, schema_editor):
    apps.get_model("membership", "PointsRule").objects.filter(visit_kind__in=[kind for kind, _rate in RULES]).delete()
    apps.get_model("membership", "Tier").objects.filter(name__in=[name for name, *_rest in TIERS],
                                                        members__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("membership", "0002_expiry_fields")]

    operations = [migrations.RunPython(create, remove)]
