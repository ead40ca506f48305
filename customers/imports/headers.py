"""Finding the header row below the title rows, and mapping its Chinese column names."""

import re
import unicodedata
from dataclasses import dataclass, field

# Per kind of import: field → the column names the DMS, the manufacturer's programme and the store's
# own archives use for it. Matching ignores spaces, brackets' style and letter case.
COMMON = {
    "name": ["客户姓名", "姓名", "车主", "车主姓名", "客户名称", "客户"],
    "mobile": ["手机号码", "联系电话", "手机", "手机号", "电话", "联系方式", "客户电话", "车主电话"],
    "vin": ["车架号", "VIN", "车架号(VIN)", "VIN码", "底盘号", "车辆识别代号", "车辆识别号"],
    "plate": ["车牌号", "车牌", "车牌号码"],
}
COLUMNS: dict[str, dict[str, list[str]]] = {
    "deliveries": {
        **COMMON,
        "address": ["地址", "联系地址", "家庭住址", "住址"],
        "delivery_date": ["交车日期", "开票日期", "购车日期", "交付日期"],
        "brand": ["品牌"],
        "model_name": ["车型", "车型名称", "车系", "车辆型号"],
        "colour": ["颜色", "车身颜色", "车辆颜色"],
        "sales_consultant": ["销售顾问", "销售员", "顾问", "销售"],
        "invoice_amount": ["开票金额", "发票金额", "车价", "成交价"],
        "gender": ["性别"],
        "birthday": ["生日", "出生日期"],
        "id_number": ["身份证号", "身份证号码", "证件号码"],
    },
    "service-visits": {
        "vin": COMMON["vin"],
        "plate": COMMON["plate"],
        "ro_number": ["工单号", "维修工单号", "委托书号", "工单编号", "委托书编号"],
        "opened_on": ["进厂日期", "进店日期", "来店日期", "维修日期", "开单日期"],
        "closed_on": ["出厂日期", "结算日期", "完工日期", "交车时间"],
        "mileage": ["里程", "行驶里程", "进厂里程", "公里数"],
        "kind": ["维修类型", "工单类型", "业务类型", "维修性质"],
        "advisor": ["服务顾问", "接待员", "SA", "业务接待"],
        "sender_name": ["送修人", "送修人姓名", "联系人"],
        "sender_phone": ["送修人电话", "送修人手机", "联系人电话", "联系电话", "手机"],
        "labour_amount": ["工时费", "工时金额"],
        "parts_amount": ["材料费", "配件费", "配件金额"],
        "total_amount": ["合计", "总金额", "结算金额", "合计金额"],
        "model_name": ["车型", "车型名称"],
    },
    "handbook": {
        **COMMON,
        "delivery_date": ["交车日期", "开票日期", "购车日期"],
        "handbook_checked_on": ["核对日期", "手册核对日期", "登记日期"],
        "model_name": ["车型", "车型名称"],
    },
}
# A header row must name at least one of these, so a title row never passes for one.
KEY_FIELDS = {"deliveries": {"name", "vin"}, "service-visits": {"ro_number"}, "handbook": {"vin", "name"}}
SCAN_ROWS = 30
# The columns a file of each kind cannot do without: each tuple needs one of its fields.
REQUIRED = {
    "deliveries": [("name",), ("vin", "plate")],
    "service-visits": [("ro_number",), ("opened_on",), ("kind",), ("vin", "plate")],
    "handbook": [("name",), ("vin", "plate"), ("handbook_checked_on",)],
}


def clean_header(text) -> str:
    value = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*:：]", "", value).replace("（", "(").replace("）", ")").upper()


_LOOKUP = {kind: {clean_header(name): field for field, names in columns.items() for name in names}
           for kind, columns in COLUMNS.items()}


@dataclass
class Header:
    row_index: int  # 0-based index of the header row in the sheet
    columns: dict[int, str]  # column index → field
    unused: list[str] = field(default_factory=list)  # column names that no field uses


def find_header(rows: list[list], kind: str) -> Header | None:
    """The first row among the first 30 that names a key field and at least one other field."""
    lookup = _LOOKUP[kind]
    for index, row in enumerate(rows[:SCAN_ROWS]):
        columns: dict[int, str] = {}
        for position, cell in enumerate(row):
            name = lookup.get(clean_header(cell))
            if name and name not in columns.values():  # the first column of a name wins
                columns[position] = name
        if len(columns) >= 2 and KEY_FIELDS[kind] & set(columns.values()):
            unused = [str(cell).strip() for position, cell in enumerate(row)
                      if position not in columns and str(cell or "").strip()]
            return Header(row_index=index, columns=columns, unused=unused)
    return None


def missing_columns(header: Header, kind: str) -> list[str]:
    """The required columns the header lacks, by their usual names ('车架号/车牌号')."""
    found = set(header.columns.values())
    return ["/".join(COLUMNS[kind][name][0] for name in group)
            for group in REQUIRED[kind] if not found.intersection(group)]
