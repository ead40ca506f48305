"""The scripts of the retention calls, each published as v1 for every brand: the first-maintenance
call (首保招揽 and its chase), the maintenance reminder call (保养提醒; also the no-show follow-up's)
and the win-back call (流失挽回). Written out here like 0002, so this migration stays as it is
whatever the models become.

A reminder call whose customer had a problem or complaint lately shows it above the script (the
workbench's retention panel): the agent asks about it first, then reads the script.
"""

from django.db import migrations
from django.utils import timezone

OPENING = "您好，请问是{name}{title}吗？我是{store}客服中心的{agent}，"
CLOSING = "感谢您的接听，期待您和爱车的光临，祝您用车愉快，再见！"

SCRIPTS = [
    {
        "key": "first_maintenance", "name": "首保招揽回访", "kind": "first_maint",
        "opening": OPENING + "您的{model}（车牌{plate}）快到首次保养的时间了，首保免工时费，想帮您安排一下。",
        "questions": [
            ("overall", "车辆目前行驶了多少公里？", "text", [], False, None, []),
            ("service_init", "是否方便近期回店做首次保养？", "choice", ["方便，现在预约", "方便，稍后自己预约", "暂不方便", "已在别处保养"],
             True, None, ["已在别处保养"]),
            ("overall", "新车使用至今是否有什么问题或不满意的地方？", "yes_no", [], True, None, ["yes"]),
            ("other", "客户的其他需求或意见", "text", [], False, None, []),
        ],
    },
    {
        "key": "maintenance_reminder", "name": "保养提醒回访", "kind": "reminder",
        "opening": OPENING + "您的{model}（车牌{plate}）快到保养周期了，想提醒您一下，也帮您安排时间。",
        "questions": [
            ("overall", "车辆目前行驶了多少公里？", "text", [], False, None, []),
            ("overall", "车辆是否仍由您使用？", "yes_no", [], True, None, ["no"]),
            ("service_init", "是否方便近期回店保养？", "choice", ["方便，现在预约", "方便，稍后自己预约", "暂不方便", "已在别处保养"],
             True, None, ["已在别处保养"]),
            ("service_quality", "您对上次来店的服务满意吗？0到10分您打几分？", "score", [], False, 7, []),
            ("other", "客户的其他需求或意见", "text", [], False, None, []),
        ],
    },
    {
        "key": "win_back", "name": "流失客户挽回回访", "kind": "win_back",
        "opening": OPENING + "好久没见到您来店了，想问候一下您和爱车的情况。",
        "questions": [
            ("overall", "车辆是否仍由您使用？", "yes_no", [], True, None, ["no"]),
            ("overall", "最近车辆保养是在哪里做的？", "choice", ["本店", "其他4S店", "路边维修店", "还没有保养"], False, None, []),
            ("service_quality", "上次来店有什么不满意的地方吗？", "text", [], False, None, []),
            ("overall", "您对我们店的总体印象，0到10分您打几分？", "score", [], False, 7, []),
            ("service_init", "是否愿意近期回店做一次免费检测或保养？", "choice", ["愿意，现在预约", "考虑一下", "不愿意"],
             True, None, ["不愿意"]),
            ("other", "客户的其他需求或意见", "text", [], False, None, []),
        ],
    },
]


def seed(apps, schema_editor):
    """Idempotent: a key already there is left as it is (also what the tests call after a
    transactional test emptied the tables)."""
    Script = apps.get_model("scripts", "Script")
    ScriptVersion = apps.get_model("scripts", "ScriptVersion")
    Question = apps.get_model("scripts", "Question")
    now = timezone.now()
    for data in SCRIPTS:
        if Script.objects.filter(key=data["key"]).exists():
            continue
        # One script in use per kind and brand: a store that made its own keeps it, and this one waits unused.
        in_use = Script.objects.filter(kind=data["kind"], brand="", active=True).exists()
        script = Script.objects.create(key=data["key"], name=data["name"], kind=data["kind"], brand="",
                                       active=not in_use)
        version = ScriptVersion.objects.create(script=script, number=1, status="published", opening=data["opening"],
                                               closing=CLOSING, note="初始版本", published_at=now)
        Question.objects.bulk_create(
            Question(version=version, position=position, factor=factor, text=text, kind=kind, choices=choices,
                     required=required, dissatisfied_below=below, dissatisfied_answers=dissatisfied)
            for position, (factor, text, kind, choices, required, below, dissatisfied) in
            enumerate(data["questions"], start=1)
        )


def unseed(apps, schema_editor):
    apps.get_model("scripts", "Script").objects.filter(key__in=[data["key"] for data in SCRIPTS]).delete()


class Migration(migrations.Migration):

    dependencies = [("scripts", "0003_retention_kinds")]

    operations = [migrations.RunPython(seed, unseed)]
