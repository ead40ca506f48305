"""Complaints in the demo store: the last 90 days of the DCRC's complaints, in every state.

`manage.py seed_demo` calls `demo_seed` after the callback centre's (INSTALLED_APPS order), for the
customers it has just made. About one complaint per 150 customers (never fewer than one of each
story below, at most `MAXIMUM`), registered over the last 90 days from every channel: the low scores
of the demo's CSI and SSI callbacks that no complaint was raised from yet (linked to the callback and
the answer, and to the problem the agent escalated if there is one), phone calls, walk-ins, letters,
online reviews, the manufacturer's hotline and the manufacturer's dissatisfaction items (with their
`ManufacturerItem`). Each one is a *story* — new and unassigned, first contact overdue, contacted,
investigating, paused while the store waits for the customer, visited, solution agreed (some past
their solution deadline), solved (some past the 7 days of the follow-up), followed up, satisfied,
closed with its case analysis and improvement plans (some plans done, some open, some overdue), and
reopened for a second round, closed again or not — of one of the `CASES`, whose texts say the same
thing from the description to the plans.

Every step goes through the services (`complaint_register`, `complaint_assign`, `complaint_move`,
`complaint_pause`, `analysis_write`, `plan_done`...) at a past `now=`, so each deadline, step and
timeline entry is the workflow's own. A story's moments are drawn first (working hours of the
store's clock, a few calendar days for a follow-up), then the story is moved back in time until
its last step, and the deadline it is meant to have missed, lie before `now`. Then the escalation
job runs once at `now`, so the home panels show the escalations. The same seed, the same customers
and the same `now` give the same complaints.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from customers.models import Customer, ServiceVisit, TimelineEntry, Vehicle, VehicleRole
from dealer_crm.accounts.models import User
from dealer_crm.accounts.roles import Role
from followups.callbacks.models import Answer, Callback, CallbackKind, Department, Problem
from followups.callbacks.services.problems import ROUTING

from .clock import StoreClock
from .models import CaseAnalysis, Complaint, ComplaintStep, Escalation, ImprovementPlan, ManufacturerItem, Severity
from .services import (
    PlanInput,
    analysis_write,
    complaint_assign,
    complaint_move,
    complaint_note,
    complaint_pause,
    complaint_reclassify,
    complaint_register,
    complaint_resume,
    plan_done,
    store_days,
)

A = ComplaintStep.Action
C = Complaint.Category
D = Department
R = CaseAnalysis.RootCause
Channel = Complaint.Channel

HISTORY_DAYS = 90
CUSTOMERS_PER_COMPLAINT = 150
MAXIMUM = 400  # a 100,000-customer store gets 400, not 666: each complaint is ~12 service calls

TABLES = (Complaint, ComplaintStep, CaseAnalysis, ImprovementPlan, ManufacturerItem, Escalation)


@dataclass(frozen=True)
class Case:
    """One complaint's matter, from what the customer said to what the store changes. `{model}` is
    the vehicle's model, `{person}` the person concerned (the `person` kind: a service advisor, a
    sales consultant or a technician)."""

    category: str
    department: str
    person: str
    description: str
    contact: str  # the apology at the first contact
    investigate: str  # what the investigation found
    visit: str | None  # the home visit's report, if the matter calls for one
    solution: str
    cost: tuple[int, int]  # yuan, what the solution costs the store
    done: str
    reopen: str  # why the customer was not satisfied, in a second round
    solution2: str
    cost2: tuple[int, int]
    done2: str
    root: str
    cause: str
    lesson: str
    plans: tuple[tuple[str, str], ...]  # (department, improvement)


CASES: tuple[Case, ...] = (
    Case(C.REPAIR, D.SERVICE, "technician",
         "在店做完常规保养第二天，客户发现车位地面有一摊油渍，检查是放油螺丝处渗油。客户认为技师工作马虎，担心发动机缺油受损。",
         "服务经理致电客户，为保养质量问题诚恳道歉，说明少量渗油不会马上损伤发动机，约定当天下午安排救援车上门检查。",
         "调取工单和施工记录：技师{person}更换机油时没有更换放油螺丝垫片，扭矩也没有按标准复核；当班质检车辆多，只做了目视检查。",
         "服务经理和技术主管上门，现场确认放油螺丝处渗油，清理油渍并临时紧固，车辆拖回店内复检。客户情绪缓和，但要求给出书面说明。",
         "免费更换放油螺丝及垫片、补足机油、清洗发动机底部并做全车检查；下次保养工时费全免，另承担车位地面的清洗费用。",
         (380, 680),
         "已更换放油螺丝及垫片，技师长试车20公里无渗漏，质检员签字确认，车辆洗净后送还客户并附书面说明。",
         "客户反映车辆送回后第四天车位又有少量油迹，怀疑没有修好，要求换一位技师检查。",
         "技术主管亲自复检，发现油底壳密封面轻微渗油，免费重新涂密封胶，该项目质保延长至一年。",
         (260, 420),
         "油底壳已重新密封，静置24小时复查无渗漏，技术主管与客户当面确认。",
         R.SKILL,
         "新入职技师没有按保养作业标准更换放油螺丝垫片，扭矩没有复核；质检只做目视检查，渗漏在交车前没有被发现。",
         "关键工序必须有复核签字，质检不能因为车间忙就简化。",
         ((D.SERVICE, "保养作业标准全员复训，放油螺丝垫片更换和扭矩复核列入必检项，考核合格后上岗"),
          (D.SERVICE, "质检单增加底盘渗漏检查项并签字留档，服务经理每周抽查10台已交车辆"))),
    Case(C.REPAIR, D.SERVICE, "technician",
         "{model}过减速带时底盘异响，在店里修了三次都没解决，每次都说修好了，开回去没几天又响。客户要求给个说法，否则向厂家投诉。",
         "服务经理致电道歉，承认前几次诊断不到位，约客户次日上午到店，由技术主管亲自试车诊断，并提供代步车。",
         "与客户一同路试，确认过减速带时右前悬架有“咯噔”声；调阅前三次工单，技师{person}都只做了润滑处理，没有拆检。",
         None,
         "拆检右前悬架，保修更换右前下摆臂球头和稳定杆连杆；维修期间提供代步车，完工后赠送一次四轮定位。",
         (200, 450),
         "已更换右前下摆臂球头和稳定杆连杆，技术主管与客户共同路试，异响消失，代步车已收回。",
         "客户说上高速后又听到轻微的异响，觉得问题没有根治，情绪比上次更激动。",
         "申请厂家技术支持远程诊断，更换右前减振器顶胶，并书面承诺该异响一年内免费处理。",
         (300, 600),
         "厂家技术支持确认诊断，减振器顶胶已更换，高速路试40公里无异响，客户同车确认。",
         R.SKILL,
         "前三次维修凭经验判断为缺润滑，没有按故障诊断流程拆检；同一故障反复返修，也没有升级给技术主管。",
         "同一故障第二次进店，就要换人、换方法诊断。",
         ((D.SERVICE, "建立返修车辆登记：同一故障第二次进店由技术主管接手诊断并在工单上签字"),
          (D.SERVICE, "每月一次底盘异响诊断案例培训，由技术主管讲解本月的返修案例"))),
    Case(C.REPAIR, D.SERVICE, "technician",
         "事故车钣喷后，右前门和翼子板有明显色差，阳光下一眼就能看出来。客户说车才买一年，这样以后卖车要吃亏。",
         "服务经理致电道歉，请客户先发几张照片，约好到店由钣喷主管一起在日光下查看。",
         "钣喷主管在日光下比对，右前门颜色偏深；调漆记录显示{person}没有按车辆色号做试板比色，直接用了标准配方。",
         None,
         "右前门和翼子板重新调色喷涂，按色号做试板并请客户确认；施工期间提供代步车两天，完工后全车抛光打蜡。",
         (900, 1600),
         "重新喷涂完成，试板比色与原车一致，客户在日光下验收确认，全车已抛光打蜡。",
         "客户洗车后发现翼子板边缘有流挂痕迹，认为返工也不仔细。",
         "由钣喷主管亲自打磨抛光流挂部位，漆面质保延长两年。",
         (200, 400),
         "流挂已打磨抛光修复，钣喷主管与客户一同验收。",
         R.PROCESS,
         "调漆没有按色号做试板比色，喷涂后也没有在日光灯下检查色差；钣喷质检单上没有色差这一项。",
         "漆面色差是客户最容易看到的，交车前必须和客户一起确认。",
         ((D.SERVICE, "调漆必须做试板比色并拍照存入工单，未比色不得喷涂"),
          (D.SERVICE, "钣喷质检增加日光灯色差检查，交车时请客户在日光下验收"))),
    Case(C.PARTS, D.PARTS, "",
         "{model}左后尾灯碰撞后需要更换，订货时说一周到货，现在已经等了二十多天还没消息。客户每天开车没有尾灯，担心被交警处罚。",
         "配件经理致电道歉，说明厂家缺货的情况，承诺三个工作日内给出确切的到货时间。",
         "查询订货记录：订单提交时漏填加急标识，厂家按普通订单排产；区域内的兄弟店有现货可以调拨。",
         None,
         "从兄弟店紧急调货，到货当天优先安排工位更换；等待期间免费安装临时警示灯，另赠送一次保养工时。",
         (150, 320),
         "配件已调拨到店，当天更换完成并检查灯光，客户现场确认。",
         "客户发现新装的尾灯内部有水汽，怀疑是翻新件。",
         "出示配件出库记录和原厂包装，说明为原厂新件；免费更换尾灯密封条并做淋水试验。",
         (80, 160),
         "密封条已更换，淋水试验无渗水，灯罩内的水汽已消失。",
         R.PARTS,
         "订货员提交订单时没有标注事故车加急，也没有查询区域兄弟店的库存；缺货后没有人主动告知客户进度。",
         "缺货不可怕，可怕的是客户等不到消息。",
         ((D.PARTS, "订货系统把事故车加急设为必填项，缺货配件每三天主动向客户通报进度"),
          (D.PARTS, "缺货超过5天必须查询区域兄弟店库存并申请调拨"))),
    Case(C.PARTS, D.PARTS, "",
         "客户保养后发现换下来的空调滤芯包装上没有原厂标识，怀疑用了副厂件却按原厂价收费，要求门店给个解释。",
         "配件经理致电道歉，说明会立即核查配件来源，邀请客户到店查看出库记录和批次。",
         "核对出库单和批次：是原厂新包装，但厂家更换包装的通知没有传达到前台，服务顾问没法向客户说明。",
         None,
         "当面出示厂家的包装变更通知和出库记录并道歉；赠送一个原厂空调滤芯及下次更换的工时。",
         (90, 180),
         "已向客户出示包装变更通知和出库记录，客户认可是原厂件，赠品已登记在客户档案。",
         "客户又查到网上同款滤芯价格便宜一半，认为门店价格虚高。",
         "配件经理说明原厂件的价格构成，并按会员价退还差价部分。",
         (30, 60),
         "差价已退回客户账户，客户表示理解。",
         R.COMMUNICATION,
         "厂家更换了配件包装，配件部没有把变更通知传达到服务前台，交车时也没有向客户展示新旧配件。",
         "信息在内部断了，客户就只能往坏处想。",
         ((D.PARTS, "厂家配件包装或编号变更时，配件部当天通知服务前台并在晨会说明"),
          (D.SERVICE, "交车时向客户展示换下来的旧件和新件包装"))),
    Case(C.PRICE, D.FINANCE, "advisor",
         "客户做常规保养，结算时发现多了一项“发动机舱清洗”180元，事先没有人问过他，客户认为是乱收费。",
         "财务经理致电道歉，承认收费前没有经过客户确认，承诺当天核实并退款。",
         "核查工单：服务顾问{person}按套餐习惯加了项目，委托书上没有客户签字；结算员没有核对委托书就结算了。",
         None,
         "全额退还180元，并赠送100元保养代金券，服务顾问当面向客户道歉。",
         (280, 280),
         "180元已原路退回，代金券已发到客户手机，服务顾问已当面道歉。",
         "客户翻看以前的结算单，发现上一次保养也有同样的收费，要求一并处理。",
         "核查近一年的工单，退还上次的同类收费并书面致歉。",
         (180, 180),
         "已退还上次的180元，致歉信已寄给客户。",
         R.PROCESS,
         "增项没有客户签字确认的控制环节，结算员结算前也不核对委托书。",
         "客户没同意的项目，一分钱也不能收。",
         ((D.SERVICE, "所有增项须客户签字或短信确认后才能派工，系统中未确认的增项不能结算"),
          (D.FINANCE, "结算员结算前核对委托书与结算单，不一致时退回前台"))),
    Case(C.PRICE, D.SALES, "consultant",
         "购车时销售顾问{person}报的上牌服务费是500元，交车结算时变成了1200元，客户认为被骗了。",
         "销售经理致电道歉，说明会核对报价单和聊天记录，两个工作日内给出处理结果。",
         "调取报价单和微信聊天记录，报价确为500元；上牌服务费调价后，财务按新价目表收取，销售顾问没有提醒。",
         None,
         "按原报价退还差价700元，销售经理当面道歉，并赠送一年免费洗车。",
         (700, 900),
         "差价700元已退回，洗车卡已交给客户，销售经理已当面道歉。",
         "客户又发现精品加装费用也比报价多了300元。",
         "核对全部报价项目，退还精品差价300元，并提供完整的费用明细。",
         (300, 300),
         "精品差价已退回，费用明细已发给客户。",
         R.POLICY,
         "价目表调整时没有过渡安排，已报价的订单没有按原价执行；销售和财务之间没有锁定报价的环节。",
         "对客户说出口的价格就是承诺。",
         ((D.SALES, "已签订单一律按报价执行，报价单在系统中锁定，结算时自动带出"),
          (D.FINANCE, "价目调整提前一周通知销售部，并列出受影响的在途订单"))),
    Case(C.SALES_PROMISE, D.SALES, "consultant",
         "购车时销售顾问{person}承诺赠送行车记录仪和全车贴膜，交车两个月了贴膜还没安排，一问就说等通知。",
         "销售经理致电道歉，逐项确认合同附件中的赠品清单，承诺本周内安排施工。",
         "合同附件写明赠送全车贴膜；精品部因为膜的品牌缺货把订单搁置了，没有通知销售顾问和客户。",
         None,
         "本周六安排升级款隔热膜施工，另赠送一年道路救援服务作为补偿。",
         (1200, 1800),
         "隔热膜已施工完毕，质保卡已交给客户，道路救援服务已开通。",
         "客户发现贴膜边缘起泡，而且行车记录仪不是当时说的型号。",
         "重新施工起泡部位，更换为合同约定型号的行车记录仪。",
         (400, 700),
         "起泡部位已重贴，行车记录仪已按约定型号更换。",
         R.COMMUNICATION,
         "赠品由精品部执行，缺货后没有反馈给销售顾问，销售顾问也没有跟进交付；赠品兑现没有台账。",
         "赠品也是合同的一部分，要有人盯到交付。",
         ((D.SALES, "建立赠品兑现台账，交车后15天内未兑现的由销售经理逐单跟进"),
          (D.SALES, "精品缺货时当天通知销售顾问，由销售顾问告知客户预计时间"))),
    Case(C.SALES_PROMISE, D.SALES, "consultant",
         "合同约定本月中旬交车，客户请了假到店才被告知车还在运输途中，白跑一趟，非常生气。",
         "销售经理致电诚恳道歉，说明物流延误的情况，承诺每天告知车辆的在途位置。",
         "车辆在物流中转站滞留了三天，销售顾问{person}前一天已经知道延误，但没有通知客户。",
         "销售经理带着销售顾问登门致歉并送上礼品，与客户重新约定交车时间，客户同意上门交车。",
         "补偿客户的交通费和误工费，车辆到店后安排上门交车，并赠送首保工时费。",
         (500, 1000),
         "车辆已上门交付，补偿已当面支付，首保赠送已登记。",
         "上门交车时发现车辆左后门有一道划痕，客户拒绝签收。",
         "车辆拉回门店由钣喷免费修复，另赠送一次全车镀晶。",
         (600, 900),
         "划痕已修复并做了镀晶，客户验收后签收。",
         R.PROCESS,
         "物流信息只到销售内勤，没有同步给销售顾问；交车前一天没有确认车辆到店的环节。",
         "交车前一天必须确认车就在店里。",
         ((D.SALES, "交车前一天由销售内勤确认车辆到店和PDI完成，未完成立即通知客户改期"),
          (D.SALES, "物流延误信息当天同步给销售顾问，并在系统中提醒"))),
    Case(C.ATTITUDE, D.SERVICE, "advisor",
         "客户问保养为什么要这么久，服务顾问{person}不耐烦地说“嫌慢可以去别家”，客户当场很生气，要求门店处理。",
         "服务经理致电客户诚恳道歉，表示会严肃处理该服务顾问，并约时间登门致歉。",
         "调取前台监控和通话录音，情况属实；与服务顾问谈话，他承认当天言语不当。",
         "服务经理带服务顾问登门道歉，送上致歉信和果篮，客户接受道歉，希望以后不要再遇到这样的接待。",
         "服务顾问书面检讨并扣罚当月绩效；客户下次保养由服务经理亲自接待，并享受工时费五折。",
         (200, 400),
         "检讨书已存档，绩效已处理；客户档案已备注由服务经理接待。",
         "客户再次来店时又被安排给同一位服务顾问接待，觉得门店没有诚意。",
         "服务经理再次致歉，客户档案锁定专属接待人，派单时自动避开该服务顾问。",
         (100, 200),
         "专属接待人已锁定，服务经理已当面致歉。",
         R.ATTITUDE,
         "服务顾问在高峰期连续接待、情绪失控；门店没有高峰期的人员调配，也不抽查服务用语。",
         "一句话就能让客户离开，服务用语要天天讲。",
         ((D.SERVICE, "全体服务顾问参加客户沟通与情绪管理培训"),
          (D.SERVICE, "服务用语规范上墙，服务经理每周抽听前台录音5条并点评"),
          (D.SERVICE, "高峰期增加一名机动接待，避免一人连续接待"))),
    Case(C.ATTITUDE, D.SALES, "consultant",
         "客户带家人来店看车，销售顾问{person}一直在玩手机，问价格时随口应付，还说“买不起就别看了”，客户觉得受到侮辱。",
         "销售经理致电客户道歉，表示会调查核实，并邀请客户再次到店由资深顾问接待。",
         "调取展厅监控，销售顾问接待时确有看手机、敷衍的情况；同事证实他言语不当。",
         "销售经理登门致歉，送上致歉信和精品礼包，客户表示可以再给门店一次机会。",
         "销售顾问停岗培训一周并书面检讨；安排资深顾问专门接待客户，赠送试驾礼品和首年保养套餐。",
         (300, 600),
         "销售顾问已停岗培训，客户已由资深顾问接待并完成试驾。",
         "客户说资深顾问的报价比网上高很多，怀疑门店在报复。",
         "销售经理亲自核价，给出与区域统一的透明报价并书面确认。",
         (0, 0),
         "透明报价已书面发给客户，客户接受。",
         R.ATTITUDE,
         "新销售顾问没有完成展厅接待礼仪培训就上岗；展厅主管对接待过程缺少巡视。",
         "每一位进店的客户都值得被认真对待。",
         ((D.SALES, "新入职销售顾问须通过展厅接待礼仪考核后才能独立接待"),
          (D.SALES, "展厅主管每小时巡视一次，接待中禁止使用手机"))),
    Case(C.WAITING, D.SERVICE, "advisor",
         "客户预约上午9点保养，服务顾问{person}承诺一个半小时完成，结果等了将近四个小时，期间没人告知进度，耽误了下午的事情。",
         "服务经理致电道歉，说明当天车间临时插入两台事故车，并承诺以后预约车辆优先。",
         "核对当天的车间排程：预约车辆没有预留工位，被插单的车辆占用；前台也没有主动告知客户进度。",
         None,
         "赠送两次免费洗车和一次保养工时费全免，下次预约安排专属工位并由服务顾问全程跟进。",
         (300, 500),
         "赠送已登记在客户档案，下次预约已锁定专属工位。",
         "客户第二次预约保养又等了两个多小时，认为承诺没有兑现。",
         "服务经理亲自致歉，本次保养费用全免，并安排上门取送车服务。",
         (400, 700),
         "保养费用已免除，上门取送车服务已登记。",
         R.PROCESS,
         "预约车辆没有预留工位，车间插单时前台不知道；超时后也没有主动告知客户的规定。",
         "预约就是承诺，超时要先开口说明。",
         ((D.SERVICE, "预约车辆预留工位，超时30分钟由服务顾问主动告知客户进度"),
          (D.SERVICE, "车间进度看板接入前台，插单须经服务经理同意"))),
    Case(C.WAITING, D.SERVICE, "advisor",
         "{model}事故后进店钣喷，当时说五天交车，现在已经十二天还没修好，客户每天打车上班，要求补偿交通费。",
         "服务经理致电道歉，说明配件到货延迟，承诺明天给出确切的交车时间，并安排代步车。",
         "核对维修进度：前保险杠骨架缺货，订货周期十天；服务顾问{person}知道缺货，但没有告知客户。",
         None,
         "补偿已发生的打车费用，提供代步车至交车，交车时免费全车打蜡。",
         (600, 1200),
         "车辆已修复交付，打车费用已按票据补偿，代步车已收回。",
         "交车后客户发现空调出风口有异响，认为是钣喷拆装时弄坏的。",
         "免费检查并更换出风口卡扣，该部位提供一年质保。",
         (80, 150),
         "出风口卡扣已更换，异响消失。",
         R.COMMUNICATION,
         "配件缺货让工期延长，服务顾问没有及时告知客户，也没有提出代步车方案。",
         "工期变了，第一时间告诉客户，并给出替代方案。",
         ((D.SERVICE, "钣喷车辆工期变化时24小时内告知客户，并由服务经理评估是否提供代步车"),
          (D.PARTS, "事故车配件缺货时配件部当天通知服务顾问"))),
    Case(C.SERVICE, D.SERVICE, "technician",
         "取车时发现座椅上有油手印，方向盘也沾了油污，车内还有烟味，客户很不满意。",
         "服务经理致电道歉，约客户到店免费清洁，或安排上门取车处理。",
         "询问当班技师{person}，维修时没有使用三件套；车内的烟味是试车人员在车上抽烟留下的。",
         None,
         "免费做一次内饰精洗和臭氧消毒，服务经理当面道歉，试车人员按规定处罚。",
         (150, 300),
         "内饰精洗和臭氧消毒已完成，客户取车时检查确认干净无异味。",
         "客户说精洗后座椅皮面有发白的痕迹，认为是清洗剂用错了。",
         "联系厂家指定的皮革护理商上门修复，费用由门店承担。",
         (300, 500),
         "皮面已修复，客户确认颜色一致。",
         R.PROCESS,
         "维修作业没有执行三件套的规定，车间禁烟也没有人检查。",
         "客户的车要像自己的车一样爱护。",
         ((D.SERVICE, "维修作业必须使用座椅套、方向盘套和脚垫纸，质检时逐项检查"),
          (D.SERVICE, "车间和客户车内全面禁烟，违者处罚并通报"))),
    Case(C.SERVICE, D.SALES, "consultant",
         "交车时销售顾问{person}没有讲解车机和驾驶辅助功能，客户不会用自适应巡航，打电话问也说不清楚。",
         "销售经理致电道歉，约客户方便的时间由产品专家一对一讲解。",
         "查看交车确认单，功能讲解一项已勾选但没有客户签字；当天这位顾问同时交付了三台车。",
         "产品专家上门一对一讲解车机互联和自适应巡航，陪同客户试驾半小时，客户已学会常用功能。",
         "安排产品专家上门讲解，并赠送一次车机软件升级和一年流量包。",
         (200, 400),
         "上门讲解已完成，车机软件已升级，流量包已开通。",
         "客户说车道保持功能还是经常提示故障，怀疑车有问题。",
         "到店检测前摄像头标定，重新标定后路试确认功能正常。",
         (0, 150),
         "前摄像头已重新标定，路试车道保持工作正常。",
         R.SKILL,
         "交车流程中的功能讲解被简化，销售顾问对新车型的驾驶辅助功能也不熟悉。",
         "交车讲解是客户用好车的第一步。",
         ((D.SALES, "新车型上市前组织销售顾问功能讲解考核"),
          (D.SALES, "交车确认单的功能讲解项须客户逐项签字"))),
    Case(C.OTHER, D.SERVICE, "",
         "客户夜间车辆抛锚，拨打门店救援电话后等了两个多小时救援车才到，期间打电话催了四次都说在路上。",
         "服务经理致电道歉，说明当晚救援车在处理另一起事故，承诺改进夜间救援安排。",
         "核对救援记录：当晚只有一台救援车值班，调度没有联系合作救援公司，也没有告知客户预计到达时间。",
         None,
         "免除本次救援和拖车费用，赠送一次全车检查，并向客户说明新的夜间救援安排。",
         (300, 600),
         "救援和拖车费用已免除，全车检查已完成，车辆已交还客户。",
         "客户认为只免费用不够，要求补偿当晚的打车和住宿费用。",
         "按票据补偿当晚的打车和住宿费用，服务经理再次致歉。",
         (200, 500),
         "费用已按票据补偿，客户表示理解。",
         R.PROCESS,
         "夜间只有一台救援车，没有备用方案；调度接单后不告知客户预计到达时间。",
         "救援等待时，最怕的是没有消息。",
         ((D.SERVICE, "与两家合作救援公司签订夜间备用协议，30分钟内无法出车即转派"),
          (D.SERVICE, "救援调度接单后告知客户预计到达时间，每30分钟更新一次"))),
    Case(C.OTHER, D.FINANCE, "",
         "购车发票抬头开错了，客户拿去公司报销被退回，联系了财务好几次都说在处理，已经拖了两周。",
         "财务经理致电道歉，承诺当天重开发票并快递给客户。",
         "开票时抬头按个人信息录入，客户登记的却是公司名称；重开申请在财务流转中无人跟进。",
         None,
         "当天作废重开发票，顺丰快递到客户公司，并补偿快递费和误工费。",
         (100, 300),
         "新发票已开具并快递，客户已签收。",
         "客户说新发票上的税号还是错的。",
         "财务经理亲自核对税号后重开，由销售顾问当面送达。",
         (0, 50),
         "正确的发票已当面交给客户。",
         R.PROCESS,
         "开票信息没有请客户核对签字的环节；重开发票的申请没有时限，也没有负责人。",
         "开票前多核对一次，就能省去客户跑一趟。",
         ((D.FINANCE, "开票前由客户核对抬头和税号并签字"),
          (D.FINANCE, "发票重开申请2个工作日内办结，超时提醒财务经理"))),
    Case(C.SERVICE, D.OTHER, "",
         "客户到店保养时客休区座位不够，也没有充电插座，等了两个小时只能站在门口，觉得门店不重视客户。",
         "客服主管致电道歉，说明客休区正在改造，承诺尽快增加座位和充电设施。",
         "周末客休区经常超员，原有12个座位；充电插座在上次装修时被拆除了。",
         None,
         "增加8个座位和无线充电台，周末开放二楼会议室作为临时客休区；赠送客户一次免费洗车。",
         (50, 100),
         "座位和充电台已安装，周末临时客休区已开放。",
         "客户下次到店时发现二楼的临时客休区没有开门。",
         "明确周末由客服专员负责开放临时客休区，并在前台公示。",
         (0, 0),
         "负责人已明确并公示，客户确认。",
         R.OTHER,
         "客休区按几年前的进店量设计，周末高峰明显不足；设施改造没有明确的负责人。",
         "客户等待的每一分钟都在打分。",
         ((D.OTHER, "每月统计客休区高峰人数，超过座位数八成时启用临时客休区"),
          (D.OTHER, "客休区设施每日开店前检查，由客服专员负责"))),
    Case(C.PRICE, D.SERVICE, "advisor",
         "{model}保修期刚过一个月，变速箱出现换挡顿挫，维修报价八千多元，客户认为是质量问题，要求按保修处理。",
         "服务经理致电表示理解客户的心情，说明会向厂家申请善意维修，三个工作日内答复。",
         "检测确认变速箱阀体故障；车辆超出保修期32天，里程未超；厂家的善意维修政策可以承担部分费用。",
         "服务经理与技术主管上门说明检测结果和厂家政策，客户表示可以接受分担方案，但希望门店再让一些。",
         "厂家善意维修承担六成，门店承担工时费，客户只付部分配件费用，该部件质保延长一年。",
         (800, 1500),
         "变速箱阀体已更换，路试换挡平顺，客户已按方案结算。",
         "客户事后觉得自己承担的费用还是太高，要求门店全额承担。",
         "再次说明政策并争取到厂家追加一成支持，门店另赠送两次保养。",
         (400, 800),
         "厂家追加支持已到账，相应费用已退回客户，保养赠送已登记。",
         R.CUSTOMER,
         "车辆刚过保修期出现故障，客户对保修政策的理解与实际不一致；服务顾问{person}在首保时没有说明保修期限和范围。",
         "保修政策要在买车和首保时讲清楚。",
         ((D.SERVICE, "保修到期前一个月短信提醒客户，并介绍延保方案"),
          (D.SALES, "交车时讲解保修期限和范围，并请客户签字确认"))),
)

# How the customer's words reached the store, before what they said.
CHANNEL_OPENERS = {
    Channel.PHONE: ("客户来电投诉：", "客户致电客服热线：", "客户打电话到前台反映："),
    Channel.WALK_IN: ("客户到店当面投诉：", "客户到前台要求见经理："),
    Channel.LETTER: ("客户来信反映：", "客户寄来投诉信："),
    Channel.ONLINE: ("客户在点评平台留下差评：", "客户在汽车论坛发帖投诉：", "客户在门店公众号留言："),
    Channel.HOTLINE: ("厂家400热线转来客户投诉：", "客户拨打厂家客服热线投诉："),
    Channel.MANUFACTURER: ("厂家下发不满意事项：",),
}
ITEM_TYPES = {
    C.SERVICE: "服务质量不满意", C.REPAIR: "维修质量不满意", C.PRICE: "费用不满意", C.PARTS: "配件供应不满意",
    C.SALES_PROMISE: "销售承诺未兑现", C.ATTITUDE: "服务态度不满意", C.WAITING: "等待时间过长", C.OTHER: "其他不满意",
}
# The category of a low score, by the question's factor (SSI, then CSI).
CATEGORY_OF_FACTOR = {
    "delivery": C.SALES_PROMISE, "sales_init": C.ATTITUDE, "deal": C.PRICE, "dealer_facility": C.SERVICE,
    "salesperson": C.ATTITUDE, "service_quality": C.REPAIR, "service_facility": C.SERVICE,
    "pick_up": C.WAITING, "advisor": C.ATTITUDE, "service_init": C.WAITING,
}
CALL_NAMES = {CallbackKind.CSI: "售后满意度（CSI）回访", CallbackKind.SSI: "销售满意度（SSI）回访"}
CALLBACK_DEPARTMENTS = {CallbackKind.CSI: (D.SERVICE, D.PARTS, D.FINANCE), CallbackKind.SSI: (D.SALES,)}

ADVISORS = ("王海涛", "李俊", "张敏", "刘洋", "陈磊", "杨帆")
CONSULTANTS = ("赵晓东", "周婷", "吴昊", "郑凯", "孙悦")
TECHNICIANS = ("马建军", "黄志强", "林峰", "何伟", "罗斌")

ASSIGN_NOTES = ("", "", "请今天内联系客户", "客户情绪激动，请优先处理", "老客户，请服务经理亲自跟进", "涉及费用，请核实后答复")
RECLASSIFY_NOTES = ("客户情绪激动，表示要向媒体曝光，升级处理", "客户已向厂家投诉，升级处理",
                    "涉及安全隐患，升级处理", "客户要求总经理出面，升级处理")
PAUSE_NOTES = ("等待客户提供购车合同和付款凭证的照片", "客户出差，约好下周回来后到店检测", "等待客户确认上门拜访的时间",
               "客户要和家人商量补偿方案，约好两天后答复", "等待客户提供行车记录仪视频", "客户住院，家属请求过几天再联系")
RESUME_NOTES = ("客户已提供资料，恢复处理", "客户已回电，约好时间", "客户已答复，继续处理")
WAIT_NOTES = ("客户再次来电询问进度，已告知预计完成时间", "已向厂家技术支持提交案例，等待回复",
              "已与客户确认下次联系的时间", "客户表示理解，请尽快给出方案")
FOLLOW_UPS = ("回访客户，问题已解决，客户对处理速度和态度表示认可。", "电话回访，车辆使用正常，客户感谢门店的重视。",
              "回访时客户表示满意，但希望以后能提前沟通。", "客户说这次处理得还算及时，以后会继续来店。",
              "回访客户，客户对补偿方案满意，同意结案。", "回访客户，客户表示问题没有再出现，认可处理结果。")
SATISFIED_NOTES = ("客户确认满意，同意结案。", "客户表示满意，不再追究。", "客户确认问题已解决，对处理结果满意。")
CLOSE_NOTES = ("案例分析已完成，结案。", "案例分析已审核，同意结案。", "客户满意，案例已分享给相关部门，结案。",
               "整改计划已落实到人，结案。")
PLAN_DONE_NOTES = ("已完成培训，相关人员全部参加并通过考核。", "制度已发布并在晨会宣贯，经理每周抽查执行情况。",
                   "系统已增加必填项，本月起执行。", "已落实到岗位职责，第一周检查全部合格。", "已完成整改，并在部门例会上通报。")


@dataclass(frozen=True)
class Story:
    """How far a complaint goes by now, and what it must show then."""

    name: str
    days_ago: tuple[int, int]  # where its registration is drawn (it may be moved further back)
    weight: float  # its share of the complaints beyond the first of each story
    end: str  # the last move made: a ComplaintStep.Action, or "" (registered only)
    pause: bool = False  # the clock is paused at the end, the store waiting for the customer
    late: str = ""  # the deadline missed at now: "contact", "solve" or "follow_up"
    reopen: bool = False  # a second round after the customer was not satisfied
    plans: str = ""  # the closed ones' improvement plans: "done", "late" (one open and overdue), "open"
    assigned: bool = True
    severities: tuple[str, ...] = ("general", "general", "general", "serious", "serious", "major")


STORIES: tuple[Story, ...] = (
    Story("new", (0, 0), 0.03, "", assigned=False),
    Story("late_contact", (4, 8), 0.03, "", late="contact", severities=("general", "serious")),
    Story("contacted", (0, 1), 0.04, A.CONTACTED),
    Story("investigating", (1, 3), 0.05, A.INVESTIGATING),
    Story("paused", (2, 6), 0.05, A.INVESTIGATING, pause=True),
    Story("visited", (2, 5), 0.04, A.VISITED),
    Story("agreed_late", (5, 12), 0.04, A.AGREED, late="solve", severities=("serious", "major")),
    Story("agreed", (2, 4), 0.05, A.AGREED, severities=("general",)),
    Story("solved", (3, 6), 0.06, A.SOLVED),
    Story("follow_up_late", (12, 20), 0.04, A.SOLVED, late="follow_up"),
    Story("followed_up", (8, 14), 0.05, A.FOLLOWED_UP),
    Story("satisfied", (10, 18), 0.05, A.SATISFIED),
    Story("closed", (45, 85), 0.22, A.CLOSED, plans="done"),
    Story("closed_plan_late", (50, 85), 0.08, A.CLOSED, plans="late"),
    Story("closed_plan_open", (20, 30), 0.08, A.CLOSED, plans="open"),
    Story("reopened_closed", (40, 80), 0.06, A.CLOSED, reopen=True, plans="done"),
    Story("reopened_open", (12, 25), 0.03, A.INVESTIGATING, reopen=True, late="solve"),
)
# A small store still has each story, and a few more complaints closed with their case analyses.
MINIMUM = len(STORIES) + 3
CHANNELS = ((Channel.CALLBACK, 0.3), (Channel.PHONE, 0.2), (Channel.WALK_IN, 0.14), (Channel.LETTER, 0.04),
            (Channel.ONLINE, 0.1), (Channel.HOTLINE, 0.1), (Channel.MANUFACTURER, 0.12))


@dataclass
class Op:
    """One step of a story: what is done, how long after the step before (`gap`), and its texts."""

    kind: str  # "register", "assign", "reclassify", "pause", "resume", "note", "analysis", "plan_done" or an Action
    gap: tuple  # ("work", hours) on the store's clock | ("minutes", n) | ("days", n, minutes after opening)
    text: str = ""
    cost: Decimal | None = None
    extra: dict = field(default_factory=dict)


def _weighted(rng: random.Random, pairs) -> object:
    return rng.choices([value for value, _share in pairs], weights=[share for _value, share in pairs])[0]


def complaint_count(customers: int) -> int:
    """One complaint per 150 customers, at least one of each story and a few more (`MINIMUM`), at most
    MAXIMUM (and never more complaints than customers)."""
    return min(max(customers // CUSTOMERS_PER_COMPLAINT, MINIMUM), MAXIMUM, customers)


def _user(role: Role, preferred: str) -> User | None:
    return (User.objects.filter(username=preferred, is_active=True).first()
            or User.objects.filter(groups__name=role.value, is_active=True).order_by("id").first())


def _staff() -> dict | None:
    """The demo's people (dealer_crm/accounts/demo.py): the supervisor assigns and closes, each
    department's manager (`ROUTING`) handles its complaints, whoever meets the customer registers.
    None without a supervisor: nobody could assign the complaints."""
    supervisor = _user(Role.DCRC_SUPERVISOR, "supervisor")
    if supervisor is None:
        return None
    usernames = {Role.SALES_MANAGER: "sales", Role.SERVICE_MANAGER: "service", Role.GENERAL_MANAGER: "gm"}
    managers = {}
    for department, role in ROUTING.items():
        user = _user(role, usernames.get(role, "")) if role != Role.DCRC_SUPERVISOR else supervisor
        managers[department] = user if user is not None and user.has_perm("complaints.handle_complaint") else supervisor
    agents = list(User.objects.filter(groups__name=Role.CALLBACK_AGENT.value, is_active=True).order_by("id"))
    interviewer = _user(Role.INTERVIEWER, "interviewer")
    lounge = _user(Role.LOUNGE_HOST, "lounge")
    return {"supervisor": supervisor, "managers": managers, "agents": agents or [supervisor],
            "interviewer": interviewer or supervisor, "lounge": lounge or supervisor,
            "users": {user.pk: user for user in [supervisor, *managers.values(), *agents]}}


class DemoComplaints:
    """Draws the complaints' stories, then plays each through the services at its moments."""

    def __init__(self, *, rng: random.Random, now: datetime, staff: dict, customer_ids: range):
        self.rng, self.now, self.staff = rng, now, staff
        self.today = timezone.localdate(now)
        self.since = now - timedelta(days=HISTORY_DAYS)
        self.clock = StoreClock(working=True, overrides=store_days())
        self.severities = {severity.code: severity for severity in Severity.objects.filter(active=True)}
        self.decks: dict[object, list] = {}
        self.customer_ids = customer_ids

    # --- drawing without repeats ----------------------------------------------------------------------
    def _deal(self, key, items: list) -> object:
        """The next of `items` from a shuffled deck kept under `key`: every one is used before any
        is used again, so a small store repeats no text."""
        deck = self.decks.get(key)
        if not deck:
            deck = list(items)
            self.rng.shuffle(deck)
            self.decks[key] = deck
        return deck.pop()

    def _deal_fitting(self, key, items: list, fitting: list) -> object:
        """The next card of `key`'s deck that is one of `fitting` (any of them if the deck has none)."""
        deck = self.decks.get(key)
        if not deck:
            deck = list(items)
            self.rng.shuffle(deck)
            self.decks[key] = deck
        for index in range(len(deck) - 1, -1, -1):
            if deck[index] in fitting:
                return deck.pop(index)
        return self.rng.choice(fitting)

    # --- the people and their customers ----------------------------------------------------------
    def customers(self) -> list[tuple[int, int]]:
        """(customer, vehicle) of the customers who own a vehicle and can be reached, shuffled."""
        rows = list(VehicleRole.objects.filter(
            customer_id__gte=self.customer_ids.start, customer_id__lt=self.customer_ids.stop,
            kind=VehicleRole.Kind.OWNER, customer__merged_into__isnull=True, customer__lost_contact_since__isnull=True,
        ).order_by("customer_id", "vehicle_id").values_list("customer_id", "vehicle_id"))
        seen, pairs = set(), []
        for customer_id, vehicle_id in rows:
            if customer_id not in seen:
                seen.add(customer_id)
                pairs.append((customer_id, vehicle_id))
        self.rng.shuffle(pairs)
        return pairs

    def low_scores(self) -> list[dict]:
        """The worst low score of each CSI or SSI response of these customers from which no complaint
        was raised yet, oldest first, with the problem the agent escalated from it if any."""
        taken = Complaint.objects.filter(answer__isnull=False).values("answer_id")
        rows = Answer.objects.filter(
            dissatisfied=True, score__lte=6, response__corrected_by__isnull=True,
            response__callback__kind__in=list(CALL_NAMES), response__answered_at__gte=self.since,
            response__callback__customer_id__gte=self.customer_ids.start,
            response__callback__customer_id__lt=self.customer_ids.stop,
            response__callback__customer__merged_into__isnull=True,
        ).exclude(pk__in=taken).order_by("response__answered_at", "response_id", "score", "id").values(
            "id", "score", "response_id", "response__answered_at", "response__answered_by_id",
            "response__callback_id", "response__callback__kind", "response__callback__customer_id",
            "response__callback__vehicle_id", "response__callback__visit_id", "question__factor", "question__text")
        worst: dict[int, dict] = {}
        for row in rows:
            if row["response_id"] not in worst:
                worst[row["response_id"]] = row
        problems = dict(Problem.objects.filter(answer_id__in=[row["id"] for row in worst.values()],
                                               is_complaint=True, complaints__isnull=True)
                        .values_list("answer_id", "id"))
        for row in worst.values():
            row["problem_id"] = problems.get(row["id"])
        return list(worst.values())

    def _person(self, kind: str, *, vehicle_id: int | None, visit_id: int | None = None) -> str:
        if kind == "advisor":
            visits = ServiceVisit.objects.filter(pk=visit_id) if visit_id else \
                ServiceVisit.objects.filter(vehicle_id=vehicle_id).order_by("-opened_on", "-id")
            advisor = visits.exclude(advisor="").values_list("advisor", flat=True).first()
            return advisor or self.rng.choice(ADVISORS)
        if kind == "consultant":
            consultant = (Vehicle.objects.filter(pk=vehicle_id).values_list("sales_consultant", flat=True).first()
                          if vehicle_id else "")
            return consultant or self.rng.choice(CONSULTANTS)
        if kind == "technician":
            return self.rng.choice(TECHNICIANS)
        return ""

    # --- the moments -------------------------------------------------------------------------------
    def _advance(self, moment: datetime, gap: tuple) -> datetime:
        if gap[0] == "work":
            return self.clock.add(moment, gap[1])
        if gap[0] == "minutes":
            return moment + timedelta(minutes=gap[1])
        later = moment + timedelta(days=gap[1])
        return later if self.clock.is_open(later) else self.clock.next_opening(later) + timedelta(minutes=gap[2])

    def _moments(self, ops: list[Op], start: datetime) -> list[datetime]:
        moments, moment = [], start
        for op in ops:
            moment = self._advance(moment, op.gap)
            moments.append(moment)
        return moments

    def _must_pass(self, story: Story, ops: list[Op], moments: list[datetime], severity: Severity) -> datetime:
        """The moment by which the story's missed deadline has passed (its last step otherwise)."""
        last = moments[-1]
        kinds = [op.kind for op in ops]
        if story.late == "contact":
            return max(last, self.clock.add(moments[0], severity.first_contact_hours + 2))
        if story.late == "solve":
            anchor = moments[kinds.index(A.REOPENED)] if story.reopen else moments[0]
            return max(last, self.clock.add(anchor, severity.solve_hours + 2))
        if story.late == "follow_up":
            return max(last, moments[kinds.index(A.SOLVED)] + timedelta(days=8))
        if story.plans == "late":
            written = moments[kinds.index("analysis")]
            due = max(plan["days"] for op in ops if op.kind == "analysis" for plan in op.extra["plans"])
            return max(last, written + timedelta(days=due + 2))
        return last

    def schedule(self, story: Story, ops: list[Op], start: datetime, severity: Severity) -> list[datetime] | None:
        """The story's moments from `start`, moved back a day at a time until all of it lies before
        now; None if it cannot (a story longer than the history)."""
        for _ in range(HISTORY_DAYS + 30):
            moments = self._moments(ops, start)
            late = self._must_pass(story, ops, moments, severity) - self.now
            if late <= timedelta(0):
                return moments
            start -= max(late, timedelta(days=1))
        return None

    def _start(self, story: Story, channel: str) -> datetime:
        """When the complaint came in: a working moment `days_ago` back, or for online posts and
        the hotline now and then an evening or a weekend."""
        days = self.rng.randint(*story.days_ago)
        moment = self.now - timedelta(days=days, hours=self.rng.uniform(0.5, 6))
        if channel in (Channel.ONLINE, Channel.HOTLINE) and self.rng.random() < 0.3:
            return moment.replace(microsecond=0)
        if not self.clock.is_open(moment):
            opening = self.clock.next_opening(moment) + timedelta(minutes=self.rng.randrange(10, 240))
            moment = opening if opening < self.now else self._before_closing(moment)
        return moment.replace(microsecond=0)

    def _before_closing(self, moment: datetime) -> datetime:
        """A moment of the last working day's afternoon before `moment` (the store closed now)."""
        day = timezone.localtime(moment, self.clock.tz).date()
        for _ in range(30):
            closing = datetime.combine(day, self.clock.end, tzinfo=self.clock.tz)
            if self.clock.is_workday(day) and closing <= moment:
                return closing - timedelta(minutes=self.rng.randrange(15, 180))
            day -= timedelta(days=1)
        return moment

    # --- the stories -------------------------------------------------------------------------------
    def ops(self, story: Story, case: Case, severity: Severity, *, values: dict) -> list[Op]:
        """The story's steps in order, with their gaps and texts (drawn once: moving the story back
        in time keeps them)."""
        rng = self.rng

        def text(template: str) -> str:
            return template.format_map(values)

        def cost(bounds: tuple[int, int]) -> Decimal:
            low, high = bounds
            return Decimal(rng.randrange(low, high + 1, 10) if high > low else low)

        ops = [Op("register", ("minutes", 0))]
        if story.assigned:
            ops.append(Op("assign", ("work", rng.uniform(0.1, 1.0)), text=rng.choice(ASSIGN_NOTES)))
        ends = [A.CONTACTED, A.INVESTIGATING, A.VISITED, A.AGREED, A.SOLVED, A.FOLLOWED_UP, A.SATISFIED, A.CLOSED]
        if story.late == "contact" or not story.end:
            return ops
        reach = ends.index(A.INVESTIGATING if story.reopen else story.end)
        first_round = ends if story.reopen else ends[:reach + 1]
        visit = story.end == A.VISITED or (case.visit is not None and rng.random() < 0.7)
        mid_pause = story.end in (A.CLOSED, A.SATISFIED, A.FOLLOWED_UP) and rng.random() < 0.25
        contact_hours = float(severity.first_contact_hours)
        for action in first_round:
            if action == A.CONTACTED:
                ops.append(Op(A.CONTACTED, ("work", max(0.2, contact_hours * rng.uniform(0.15, 0.6))),
                              text=text(case.contact)))
                if severity.code != "major" and rng.random() < 0.12:
                    ops.append(Op("reclassify", ("work", rng.uniform(0.2, 2)), text=rng.choice(RECLASSIFY_NOTES)))
            elif action == A.INVESTIGATING:
                ops.append(Op(A.INVESTIGATING, ("work", rng.uniform(0.5, 4)), text=text(case.investigate)))
                if mid_pause:
                    ops.append(Op("pause", ("work", rng.uniform(0.5, 3)), text=self._deal("pause", PAUSE_NOTES)))
                    ops.append(Op("resume", ("days", rng.randint(1, 3), rng.randrange(20, 200)),
                                  text=rng.choice(RESUME_NOTES)))
                if rng.random() < 0.2:
                    ops.append(Op("note", ("work", rng.uniform(1, 6)), text=rng.choice(WAIT_NOTES)))
            elif action == A.VISITED:
                if visit:
                    report = case.visit or f"服务经理登门拜访客户，再次当面道歉，听取客户的诉求并说明调查结果。{case.investigate}"
                    ops.append(Op(A.VISITED, ("work", rng.uniform(3, 12)), text=text(report)))
            elif action == A.AGREED:
                ops.append(Op(A.AGREED, ("work", rng.uniform(2, 10)), text=text(case.solution), cost=cost(case.cost)))
            elif action == A.SOLVED:
                ops.append(Op(A.SOLVED, ("work", rng.uniform(3, 16)), text=text(case.done)))
            elif action == A.FOLLOWED_UP:
                ops.append(Op(A.FOLLOWED_UP, ("days", rng.randint(2, 6), rng.randrange(10, 300)),
                              text=self._deal("follow_up", FOLLOW_UPS)))
                if story.reopen:
                    break
            elif action == A.SATISFIED:
                ops.append(Op(A.SATISFIED, ("minutes", rng.randrange(2, 15)), text=rng.choice(SATISFIED_NOTES)))
        if story.reopen:
            ops.append(Op(A.REOPENED, ("minutes", rng.randrange(2, 10)), text=text(case.reopen)))
            if story.end == A.CLOSED:
                ops += [Op(A.AGREED, ("work", rng.uniform(4, 16)), text=text(case.solution2), cost=cost(case.cost2)),
                        Op(A.SOLVED, ("work", rng.uniform(4, 20)), text=text(case.done2)),
                        Op(A.FOLLOWED_UP, ("days", rng.randint(2, 6), rng.randrange(10, 300)),
                           text=self._deal("follow_up", FOLLOW_UPS)),
                        Op(A.SATISFIED, ("minutes", rng.randrange(2, 15)), text=rng.choice(SATISFIED_NOTES))]
        if story.pause:
            ops.append(Op("pause", ("work", rng.uniform(0.5, 4)), text=self._deal("pause", PAUSE_NOTES)))
        if story.end == A.CLOSED or (story.end == A.SATISFIED and rng.random() < 0.5):
            plans = [{"department": department, "action": action,
                      "days": rng.choice((10, 14, 21, 30)) if story.plans != "open" else rng.randint(40, 60)}
                     for department, action in case.plans]
            ops.append(Op("analysis", ("work", rng.uniform(2, 16)), extra={
                "root": case.root, "cause": text(case.cause), "lesson": case.lesson, "plans": plans,
                "shared": rng.random() < 0.7}))
        if story.end == A.CLOSED:
            ops.append(Op(A.CLOSED, ("work", rng.uniform(0.5, 3)), text=self._deal("close", CLOSE_NOTES)))
            ops += self._plans_done(story, ops[-2].extra["plans"])
        return ops

    def _plans_done(self, story: Story, plans: list[dict]) -> list[Op]:
        """The plans carried out: all of a "done" story's, none of an "open" one's, and of a "late"
        one's all but one (which stays open past its due date)."""
        done = sorted(range(len(plans)), key=lambda index: plans[index]["days"])
        if story.plans == "open":
            done = [index for index in done if self.rng.random() < 0.3][:max(len(plans) - 1, 0)]
        elif story.plans == "late":
            done = done[:-1]  # the one due last stays open
        ops, elapsed = [], 0
        for index in done:
            early = self.rng.randint(3, 8) if story.plans == "open" else plans[index]["days"] - self.rng.randint(2, 6)
            days = max(early, elapsed + 1)
            ops.append(Op("plan_done", ("days", days - elapsed, self.rng.randrange(30, 400)),
                          text=self._deal("plan_done", PLAN_DONE_NOTES), extra={"plan": index}))
            elapsed = days
        return ops

    # --- playing a story through the services --------------------------------------------------------
    def play(self, plan: dict) -> Complaint:
        staff, story = self.staff, plan["story"]
        supervisor = staff["supervisor"]
        owner = plan["owner"]
        actor = owner or supervisor
        customer = Customer.objects.get(pk=plan["customer_id"])
        vehicle = Vehicle.objects.filter(pk=plan["vehicle_id"]).first() if plan["vehicle_id"] else None
        complaint, analysis = None, None
        for op, at in zip(plan["ops"], plan["moments"], strict=True):
            if op.kind == "register":
                complaint = complaint_register(
                    customer=customer, channel=plan["channel"], category=plan["case"].category,
                    description=plan["description"], department=plan["department"], by=plan["registered_by"],
                    severity=plan["severity"], vehicle=vehicle,
                    person_concerned=plan["person"], callback=plan.get("callback"), answer=plan.get("answer"),
                    problem=plan.get("problem"), now=at)
                if plan["channel"] == Channel.MANUFACTURER:
                    self._manufacturer_item(complaint, customer=customer, vehicle=vehicle, at=at)
            elif op.kind == "assign":
                complaint_assign(complaint=complaint, owner=owner, by=supervisor, note=op.text, now=at)
            elif op.kind == "reclassify":
                higher = [s for s in self.severities.values() if s.rank > complaint.severity.rank]
                if higher:
                    complaint_reclassify(complaint=complaint, severity=min(higher, key=lambda s: s.rank),
                                         by=supervisor, note=op.text, now=at)
            elif op.kind == "pause":
                complaint_pause(complaint=complaint, by=actor, note=op.text, now=at)
            elif op.kind == "resume":
                complaint_resume(complaint=complaint, by=actor, note=op.text, now=at)
            elif op.kind == "note":
                complaint_note(complaint=complaint, by=actor, note=op.text, now=at)
            elif op.kind == "analysis":
                plans = [PlanInput(action=p["action"], department=p["department"],
                                   owner=staff["managers"].get(p["department"], supervisor),
                                   due_on=timezone.localdate(at) + timedelta(days=p["days"]))
                         for p in op.extra["plans"]]
                analysis = analysis_write(complaint=complaint, root_cause=op.extra["root"],
                                          root_cause_text=op.extra["cause"], lesson=op.extra["lesson"],
                                          shared=op.extra["shared"], plans=plans, by=actor, now=at)
            elif op.kind == "plan_done":
                target = list(analysis.plans.order_by("id"))[op.extra["plan"]]
                plan_done(plan=target, by=staff["users"].get(target.owner_id, supervisor), note=op.text, now=at)
            else:
                # The DCRC makes most follow-up calls and closes; the owner does the rest.
                by = supervisor if op.kind in (A.FOLLOWED_UP, A.SATISFIED, A.CLOSED) and self.rng.random() < 0.6 else actor
                complaint_move(complaint=complaint, action=op.kind, by=by, note=op.text,
                               solution=op.text if op.kind == A.AGREED else "", cost=op.cost, now=at)
        complaint.refresh_from_db()
        if complaint.channel == Channel.MANUFACTURER and complaint.closed_at is not None:
            reported = complaint.closed_at + timedelta(hours=self.rng.randint(1, 30))
            if reported <= self.now:
                ManufacturerItem.objects.filter(complaint=complaint).update(reported_at=reported)
        return complaint

    def _manufacturer_item(self, complaint: Complaint, *, customer: Customer, vehicle, at: datetime) -> None:
        received = timezone.localdate(at)
        while True:
            reference = f"BMY{received:%Y%m}{self.rng.randrange(10_000, 100_000)}"
            if not ManufacturerItem.objects.filter(reference=reference).exists():
                break
        car = vehicle
        ManufacturerItem.objects.create(
            reference=reference, received_on=received, reply_due_on=received + timedelta(days=5),
            customer_name=customer.name, mobile=customer.mobile, vin=car.vin if car else "",
            plate=car.plate if car else "", item_type=ITEM_TYPES[complaint.category],
            description=complaint.description, complaint=complaint, imported_by=self.staff["supervisor"],
            imported_at=at)

    # --- the plans ---------------------------------------------------------------------------------
    def plans(self, count: int) -> list[dict]:
        """`count` complaints: one of each story first, a few more closed ones, then stories drawn by
        weight; the channels dealt so each appears, the callbacks' low scores used where one fits the
        story's time (the stories first dealt are the recent ones, when most low scores are given)."""
        rng = self.rng
        closed = [story for story in STORIES if story.end == A.CLOSED]
        extras = [rng.choice(closed) for _ in range(MINIMUM - len(STORIES))]
        extras += [_weighted(rng, [(s, s.weight) for s in STORIES]) for _ in range(count - MINIMUM)]
        stories = (list(STORIES) + extras)[:count]
        channels = [channel for channel, _share in CHANNELS]
        rng.shuffle(channels)
        customers = self.customers()
        low_scores = self.low_scores()
        used_customers: set[int] = set()
        plans = []
        for index, story in enumerate(stories):
            channel = channels[index] if index < len(channels) else _weighted(rng, CHANNELS)
            plan = self._plan(story, channel, customers=customers, low_scores=low_scores, used=used_customers)
            if plan is not None:
                used_customers.add(plan["customer_id"])
                plans.append(plan)
        plans.sort(key=lambda plan: (plan["moments"][0], plan["customer_id"]))
        return plans

    def _plan(self, story: Story, channel: str, *, customers: list, low_scores: list, used: set) -> dict | None:
        rng = self.rng
        codes = [code for code in story.severities if code in self.severities] or list(self.severities)
        if not codes:
            return None
        severity = self.severities[rng.choice(codes)]
        start = self._start(story, channel)
        score = None
        if channel == Channel.CALLBACK:
            score = self._low_score(low_scores, before=start, used=used)
            if score is None:
                channel = self._other_channel()
        if score is not None:
            kind = score["response__callback__kind"]
            departments = CALLBACK_DEPARTMENTS[kind]
            category = CATEGORY_OF_FACTOR.get(score["question__factor"]) or (
                C.REPAIR if kind == CallbackKind.CSI else C.SALES_PROMISE)
            fitting = [case for case in CASES if case.department in departments and case.category == category] or \
                [case for case in CASES if case.department in departments]
            case = self._deal_fitting("cases", list(CASES), fitting)
            customer_id, vehicle_id = score["response__callback__customer_id"], score["response__callback__vehicle_id"]
            start = (score["response__answered_at"] + timedelta(minutes=rng.randrange(2, 15))).replace(microsecond=0)
            opener = f"{CALL_NAMES[kind]}中，客户对“{score['question__text']}”打了{score['score']}分。"
        else:
            while customers and customers[-1][0] in used:
                customers.pop()
            if not customers:
                return None
            customer_id, vehicle_id = customers.pop()
            case = self._deal("cases", list(CASES))
            opener = rng.choice(CHANNEL_OPENERS[channel])
        person = self._person(case.person, vehicle_id=vehicle_id,
                              visit_id=score["response__callback__visit_id"] if score else None)
        values = {"person": person or "当班人员", "model": self._model(vehicle_id)}
        ops = self.ops(story, case, severity, values=values)
        moments = self.schedule(story, ops, start, severity)
        if moments is None or (score is not None and moments[0] != start):
            if score is None:
                return None
            # The answer is too recent for this story: the same story from another channel.
            return self._plan(story, self._other_channel(), customers=customers, low_scores=[], used=used)
        if score is not None:
            low_scores.remove(score)
        department = case.department
        owner = None
        if story.assigned:
            owner = self.staff["supervisor"] if rng.random() < 0.15 else self.staff["managers"][department]
        plan = {"story": story, "case": case, "severity": severity, "channel": channel, "customer_id": customer_id,
                "vehicle_id": vehicle_id, "department": department, "owner": owner, "person": person,
                "description": opener + case.description.format_map(values), "ops": ops, "moments": moments,
                "registered_by": self._registrar(channel, score)}
        if score is not None:
            plan["callback"] = Callback.objects.get(pk=score["response__callback_id"])
            plan["answer"] = Answer.objects.get(pk=score["id"])
            plan["problem"] = Problem.objects.filter(pk=score["problem_id"]).first() if score["problem_id"] else None
        return plan

    def _other_channel(self) -> str:
        return _weighted(self.rng, [(channel, share) for channel, share in CHANNELS if channel != Channel.CALLBACK])

    def _low_score(self, low_scores: list, *, before: datetime, used: set) -> dict | None:
        """The latest unused low score answered before `before` and at most a week earlier."""
        for score in reversed(low_scores):
            answered = score["response__answered_at"]
            if answered <= before - timedelta(minutes=15) and score["response__callback__customer_id"] not in used:
                return score if answered >= before - timedelta(days=7) else None
        return None

    def _model(self, vehicle_id: int | None) -> str:
        name = Vehicle.objects.filter(pk=vehicle_id).values_list("model_name", flat=True).first() if vehicle_id else ""
        return name or "车辆"

    def _registrar(self, channel: str, score: dict | None) -> User:
        staff = self.staff
        if score is not None:
            return staff["users"].get(score["response__answered_by_id"]) or staff["agents"][0]
        if channel == Channel.PHONE:
            return self.rng.choice([*staff["agents"], staff["interviewer"]])
        if channel == Channel.WALK_IN:
            return self.rng.choice([staff["lounge"], staff["managers"][D.SERVICE]])
        if channel == Channel.HOTLINE and self.rng.random() < 0.5:
            return staff["agents"][0]
        return staff["supervisor"]


def _counts() -> dict[str, int]:
    return {model._meta.model_name: model.objects.count() for model in TABLES} | {
        "timelineentry": TimelineEntry.objects.filter(kind=TimelineEntry.Kind.COMPLAINT).count()}


def demo_seed(*, seed: int, customer_ids: range, now: datetime | None = None) -> dict[str, int]:
    """The complaints of these customers (those seed_demo has just made) up to `now`, then one run of
    the escalation job at `now`.

    Nothing is made for customers who have complaints already, so running it twice for the same
    customers adds nothing. Returns the rows added per table."""
    now = now or timezone.now()
    before = _counts()
    nothing = dict.fromkeys(before, 0)
    if not customer_ids or Complaint.objects.filter(customer_id__gte=customer_ids.start,
                                                    customer_id__lt=customer_ids.stop).exists():
        return nothing
    staff = _staff()
    if staff is None or not Severity.objects.filter(active=True).exists():
        return nothing
    demo = DemoComplaints(rng=random.Random(seed * 7_919 + 13), now=now, staff=staff, customer_ids=customer_ids)
    with transaction.atomic():
        for plan in demo.plans(complaint_count(len(customer_ids))):
            demo.play(plan)
    try:
        from .escalation import complaints_escalate
    except ImportError:  # the escalation job is not installed: the complaints stand without it
        pass
    else:
        complaints_escalate(now=now)
    after = _counts()
    return {name: after[name] - before[name] for name in before}

