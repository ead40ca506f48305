"""The scripts of customer care's calls, each published as v1 for every brand: the birthday call to an
important customer (生日关怀) and the event invitation call (活动邀约), whose answer the workbench's
event panel records as the invitation's RSVP. Written out here like 0002, so this migration stays as it
is whatever the models become.
"""

from django.db import migrations
from django.utils import timezone

OPENING = "您好，请问是{name}{title}吗？我是{store}客服中心的{agent}，"
CLOSING = "感谢您的接听，祝您生活愉快，再见！"

SCRIPTS = [
    {
        "key": "birthday", "name": "生日关怀回访", "kind": "birthday",
        "opening": OPENING + "今天是您的生日，我代表{store}全体员工祝您生日快乐！",
        "questions": [
            ("overall", "爱车最近使用情况如何？有没有需要我们帮忙的地方？", "text", [], False, None, []),
            ("overall", "您对我们店的服务总体满意吗？0到10分您打几分？", "score", [], False, 7, []),
            ("other", "客户的其他需求或意见", "text", [], False, None, []),
        ],
    },
    {
        "key": "event_invitation", "name": "活动邀约回访", "kind": "invitation",
        "opening": OPENING + "我们店近期举办一场客户活动，诚挚邀请您参加。",
        "questions": [
            ("other", "是否方便参加本次活动？", "choice", ["参加", "可能参加", "不参加"], True, None, []),
            ("other", "一同前来的人数（含本人）", "text", [], False, None, []),
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

    dependencies = [("scripts", "0005_care_kinds")]

    operations = [migrations.RunPython(seed, unseed)]
