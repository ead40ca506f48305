"""The store's scripts as the manufacturers and the DCRC hand them out, each published as v1.

Questions are grouped by the J.D. Power China study factors (SSI: delivery, sales initiation, the
deal, dealer facility, salesperson; CSI: service initiation, advisor, facility, quality, pick-up),
scored 0–10 with 0–6 counted as dissatisfied. The data is written out here rather than imported
from the app, so this migration stays as it is whatever the models become.
"""

from django.db import migrations
from django.utils import timezone

OPENING_SURVEY = ("您好，请问是{name}{title}吗？我是{store}客服中心的回访专员{agent}，"
                  "耽误您两分钟做个满意度回访可以吗？")
CLOSING_SURVEY = "非常感谢您的宝贵意见和耐心配合！如有任何用车问题，欢迎随时致电我们，祝您用车愉快，再见！"
SUGGESTION = ("other", "您对我们还有什么建议？", "text", [], False, None, [])
RECOMMEND = ("overall", "您是否愿意向亲友推荐我们店？", "choice", ["一定会", "可能会", "不确定", "不会"],
             True, None, ["不会"])


def score(factor, text, below=7, required=True):
    return (factor, text, "score", [], required, below, [])


def yes_no(factor, text, dissatisfied="no", required=True):
    return (factor, text, "yes_no", [], required, None, [dissatisfied] if dissatisfied else [])


SCRIPTS = [
    {
        "key": "renault_ssi", "name": "雷诺新车销售满意度回访（SSI）", "kind": "ssi", "brand": "renault",
        "opening": OPENING_SURVEY + "您在我店购买的雷诺{model}（车牌{plate}）已交付几天了，想了解一下您的购车体验。",
        "closing": CLOSING_SURVEY,
        "questions": [
            yes_no("sales_init", "您到店看车时，销售顾问是否主动迎接并热情接待？"),
            score("sales_init", "您对销售顾问介绍车型、安排试乘试驾的满意程度，0到10分您打几分？"),
            score("dealer_facility", "您对展厅的环境、整洁程度和停车便利性打几分？"),
            score("deal", "购车价格、优惠政策和各项费用是否讲解清楚透明？您打几分？"),
            score("deal", "合同签订、付款、上牌等手续办理的效率，您打几分？"),
            score("salesperson", "您对销售顾问的专业水平和服务态度打几分？"),
            yes_no("salesperson", "交车后，销售顾问是否主动联系过您，询问用车情况？"),
            yes_no("delivery", "交车时销售顾问是否讲解了车辆功能（如多媒体、驾驶辅助、保养周期）？"),
            yes_no("delivery", "车辆是否按约定时间交付，交车时车辆是否干净、完好？"),
            score("delivery", "您对整个交车过程的满意程度打几分？"),
            score("overall", "综合来看，您对本次购车经历的总体满意度打几分？"),
            RECOMMEND,
            SUGGESTION,
        ],
    },
    {
        "key": "renault_csi", "name": "雷诺售后服务满意度回访（CSI）", "kind": "csi", "brand": "renault",
        "opening": OPENING_SURVEY + "您的雷诺{model}（车牌{plate}）前几天在我店做了维修保养，想了解一下您的服务体验。",
        "closing": CLOSING_SURVEY,
        "questions": [
            yes_no("service_init", "您这次是否提前预约？到店后是否有服务顾问及时接待？"),
            score("service_init", "您对预约和到店接待的便利程度打几分？"),
            yes_no("advisor", "维修前，服务顾问是否向您说明了维修项目和预估费用？"),
            score("advisor", "您对服务顾问的专业水平和服务态度打几分？"),
            score("service_facility", "您对客户休息区的环境和设施（饮品、无线网络、整洁）打几分？"),
            yes_no("service_quality", "您车辆的问题这次是否一次修好？"),
            score("service_quality", "您对本次维修保养的质量打几分？"),
            yes_no("pick_up", "取车时服务顾问是否向您解释了所做的工作和费用明细？"),
            score("pick_up", "车辆是否按承诺的时间交付、车内外是否清洁？您打几分？"),
            score("overall", "综合来看，您对本次售后服务的总体满意度打几分？"),
            SUGGESTION,
        ],
    },
    {
        "key": "mitsubishi_ssi", "name": "三菱新车销售满意度回访（SSI）", "kind": "ssi", "brand": "mitsubishi",
        "opening": OPENING_SURVEY + "感谢您选择三菱{model}（车牌{plate}），想占用您一点时间了解购车感受。",
        "closing": CLOSING_SURVEY,
        "questions": [
            score("sales_init", "从您第一次来店或来电咨询，到销售顾问跟进，您对接待的及时和热情程度打几分？"),
            yes_no("sales_init", "销售顾问是否为您安排了试乘试驾？"),
            score("dealer_facility", "您对展厅的环境、洽谈区的舒适程度打几分？"),
            score("deal", "您对车辆价格和优惠的透明程度打几分？"),
            yes_no("deal", "购车时是否有未经您同意的加装或收费？", dissatisfied="yes"),
            score("deal", "您对贷款、保险、上牌等手续办理的效率打几分？"),
            score("salesperson", "您对销售顾问的专业知识和诚信程度打几分？"),
            yes_no("delivery", "交车时销售顾问是否讲解了车辆功能，并为您介绍了服务顾问？"),
            score("delivery", "您对交车仪式和交车过程的满意程度打几分？"),
            score("overall", "综合来看，您对本次购车体验的总体满意度打几分？"),
            RECOMMEND,
            SUGGESTION,
        ],
    },
    {
        "key": "mitsubishi_csi", "name": "三菱售后服务满意度回访（CSI）", "kind": "csi", "brand": "mitsubishi",
        "opening": OPENING_SURVEY + "您的三菱{model}（车牌{plate}）前几天在我店进行了维修保养，想了解您的满意度。",
        "closing": CLOSING_SURVEY,
        "questions": [
            score("service_init", "您对预约是否方便、到店后等待接待的时间打几分？"),
            yes_no("advisor", "接车时服务顾问是否和您一起做了环车检查，并确认了维修项目？"),
            score("advisor", "您对服务顾问的沟通和服务态度打几分？"),
            score("service_facility", "您对维修期间休息区的环境和设施打几分？"),
            score("service_quality", "您对本次维修保养的质量打几分？"),
            yes_no("service_quality", "取车后，车辆的问题是否已经解决？"),
            yes_no("pick_up", "车辆是否在承诺的时间内完工交付？"),
            score("pick_up", "取车时费用结算是否清楚、与报价一致？您打几分？"),
            score("overall", "综合来看，您对本次售后服务的总体满意度打几分？"),
            SUGGESTION,
        ],
    },
    {
        "key": "thank_you", "name": "新车交付感谢回访", "kind": "thank_you", "brand": "",
        "opening": ("您好，请问是{name}{title}吗？我是{store}客服中心的回访专员{agent}，"
                    "感谢您在我店购买{model}，恭喜您喜提爱车！耽误您一分钟可以吗？"),
        "closing": "再次感谢您的信任！首次保养时间请留意保养手册，到时我们也会提醒您。祝您用车愉快，再见！",
        "questions": [
            yes_no("delivery", "新车这几天使用还顺利吗？"),
            yes_no("delivery", "随车资料、发票和备用钥匙都收到了吗？"),
            score("overall", "您对我们本次的交车服务满意吗？0到10分您打几分？"),
            SUGGESTION,
        ],
    },
    {
        "key": "second_callback", "name": "问题处理二次回访", "kind": "second", "brand": "",
        "opening": ("您好，请问是{name}{title}吗？我是{store}客服中心的回访专员{agent}，"
                    "之前您向我们反映过问题，今天想跟您确认一下处理情况。"),
        "closing": "感谢您的理解和支持，如果还有任何问题，欢迎随时联系我们，再见！",
        "questions": [
            yes_no("overall", "上次您反映的问题已处理，请问您对处理结果满意吗？"),
            score("overall", "您对我们这次问题处理的及时性和态度打几分？"),
            ("other", "您觉得我们还有哪些需要改进的地方？", "text", [], False, None, []),
        ],
    },
    {
        "key": "custom", "name": "通用回访", "kind": "custom", "brand": "",
        "opening": "您好，请问是{name}{title}吗？我是{store}客服中心的回访专员{agent}，按照您之前的预约给您回电。",
        "closing": "感谢您接听电话，祝您生活愉快，再见！",
        "questions": [
            ("other", "请问您这次需要我们帮您处理什么事情？", "text", [], False, None, []),
            score("overall", "您对我们店最近的服务总体满意度打几分？"),
            SUGGESTION,
        ],
    },
]


def seed(apps, schema_editor):
    Script = apps.get_model("scripts", "Script")
    ScriptVersion = apps.get_model("scripts", "ScriptVersion")
    Question = apps.get_model("scripts", "Question")
    now = timezone.now()
    for data in SCRIPTS:
        if Script.objects.filter(key=data["key"]).exists():
            continue
        script = Script.objects.create(key=data["key"], name=data["name"], kind=data["kind"], brand=data["brand"])
        version = ScriptVersion.objects.create(script=script, number=1, status="published", opening=data["opening"],
                                               closing=data["closing"], note="初始版本", published_at=now)
        Question.objects.bulk_create(
            Question(version=version, position=position, factor=factor, text=text, kind=kind, choices=choices,
                     required=required, dissatisfied_below=below, dissatisfied_answers=dissatisfied)
            for position, (factor, text, kind, choices, required, below, dissatisfied) in
            enumerate(data["questions"], start=1)
        )


def unseed(apps, schema_editor):
    Script = apps.get_model("scripts", "Script")
    Script.objects.filter(key__in=[data["key"] for data in SCRIPTS]).delete()


class Migration(migrations.Migration):

    dependencies = [("scripts", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
