"""Finding the header row below the title rows, and mapping its Chinese column names.

A cell maps to a field by its whole name first ("车架号(VIN)"); failing that, by its parts: real
exports combine names and units ("VIN/车架号", "客户姓名（车主）", "里程(km)"), so a cell split on
/ \\ | 、 , ( ) and spaces whose parts name one field maps to it. A cell whose parts name two fields
("车牌/车架号") maps to neither, and the report says so.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# Per kind of import: field → the column names the DMS, the manufacturer's programme and the store's
# own archives use for it. Matching ignores spaces, brackets' style and letter case.
COMMON = {
    "name": ["客户姓名", "姓名", "车主", "车主姓名", "客户名称", "客户"],
    "mobile": ["手机号码", "联系电话", "手机", "手机号", "电话", "联系方式", "客户电话", "车主电话"],
    "vin": ["车架号", "VIN", "车架号(VIN)", "VIN码", "VIN号", "车架号码", "底盘号", "车辆识别代号", "车辆识别号"],
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
    # The manufacturer's dissatisfaction items (厂家不满意事项, followups.complaints.manufacturer): read
    # with the same reader and header mapping, written by that app.
    "manufacturer_items": {
        "reference": ["编号", "不满意事项编号", "事项编号", "不满意编号", "单据编号", "投诉编号"],
        "received_on": ["下发日期", "下发时间", "派发日期", "派单日期", "接收日期", "发布日期"],
        "reply_due_on": ["要求回复日期", "要求回复时间", "回复期限", "回复截止日期", "要求完成日期"],
        "name": COMMON["name"],
        "mobile": COMMON["mobile"],
        "vin": COMMON["vin"],
        "plate": COMMON["plate"],
        "item_type": ["问题类型", "不满意类型", "事项类型", "问题分类", "投诉类型", "不满意分类"],
        "description": ["问题描述", "不满意内容", "不满意事项", "事项描述", "问题内容", "投诉内容", "详细描述",
                        "不满意描述"],
    },
}
# A header row must name at least one of these, so a title row never passes for one.
KEY_FIELDS = {"deliveries": {"name", "vin"}, "service-visits": {"ro_number"}, "handbook": {"vin", "name"},
              "manufacturer_items": {"reference", "description"}}
SCAN_ROWS = 30
# The columns a file of each kind cannot do without: each tuple needs one of its fields.
REQUIRED = {
    "deliveries": [("name",), ("vin", "plate")],
    "service-visits": [("ro_number",), ("opened_on",), ("kind",), ("vin", "plate")],
    "handbook": [("name",), ("vin", "plate"), ("handbook_checked_on",)],
    "manufacturer_items": [("reference",), ("description",), ("vin", "plate", "mobile")],
}


def clean_header(text) -> str:
    value = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*:：]", "", value).replace("（", "(").replace("）", ")").upper()


_LOOKUP = {kind: {clean_header(name): field for field, names in columns.items() for name in names}
           for kind, columns in COLUMNS.items()}
# A unit in brackets says nothing about the field: "里程(km)", "开票金额（元）", "金额(万元)".
_UNIT = re.compile(r"[(（]\s*(?:km|公里|千米|元|万元|rmb|¥|￥|%|％)\s*[)）]", re.IGNORECASE)
_SEPARATORS = re.compile(r"[/\\|、,，()（）\s]+")


def header_fields(cell, kind: str) -> list[str]:
    """The fields a header cell names: its whole name's, else those of its parts (in their order,
    each once). One field is a match; two or more, a cell that cannot be read as one column."""
    lookup = _LOOKUP[kind]
    exact = lookup.get(clean_header(cell))
    if exact:
        return [exact]
    value = _UNIT.sub(" ", unicodedata.normalize("NFKC", str(cell or "")))
    parts = (lookup.get(clean_header(part)) for part in _SEPARATORS.split(value))
    return list(dict.fromkeys(name for name in parts if name))


@dataclass
class Header:
    row_index: int  # 0-based index of the header row in the sheet
    columns: dict[int, str]  # column index → field
    unused: list[str] = field(default_factory=list)  # column names that no field uses
    ambiguous: dict[int, list[str]] = field(default_factory=dict)  # column index → the fields its name names


def _columns(row: list, kind: str) -> tuple[dict[int, str], dict[int, list[str]]]:
    """The row's columns by field, whole names before parts: "车牌号" takes the plate from "备注(车牌)"
    wherever they stand; among equals the first column of a field wins."""
    named = [(position, header_fields(cell, kind)) for position, cell in enumerate(row)]
    exact = {position for position, cell in enumerate(row) if clean_header(cell) in _LOOKUP[kind]}
    columns: dict[int, str] = {}
    for position, fields in sorted(named, key=lambda item: item[0] not in exact):
        if len(fields) == 1 and fields[0] not in columns.values():
            columns[position] = fields[0]
    ambiguous = {position: fields for position, fields in named if len(fields) > 1}
    return dict(sorted(columns.items())), ambiguous


def find_header(rows: list[list], kind: str) -> Header | None:
    """The first row among the first 30 that names a key field and at least one other field."""
    for index, row in enumerate(rows[:SCAN_ROWS]):
        columns, ambiguous = _columns(row, kind)
        if len(columns) >= 2 and KEY_FIELDS[kind] & set(columns.values()):
            unused = [str(cell).strip() for position, cell in enumerate(row)
                      if position not in columns and str(cell or "").strip()]
            return Header(row_index=index, columns=columns, unused=unused, ambiguous=ambiguous)
    return None


def label(kind: str, name: str) -> str:
    """A field by its usual column name: vin → 车架号."""
    return COLUMNS[kind][name][0]


def file_columns(header_cells: list) -> str:
    """The file's column names as one list, for messages: "姓名、VIN/车架号、车牌号"."""
    return "、".join(str(cell).strip() for cell in header_cells if str(cell or "").strip())


def ambiguous_notes(header: Header, header_cells: list, kind: str) -> list[str]:
    """A sentence for each header cell naming two fields, which is not read."""
    return [_("The column “%(column)s” names %(fields)s at once, so it was not read: give each its own "
              "column.") % {"column": str(header_cells[position]).strip(),
                            "fields": "、".join(label(kind, name) for name in fields)}
            for position, fields in header.ambiguous.items()]


def key_column_note(header_cells: list, kind: str) -> str:
    """The vehicle's key column is not among the file's: "没有识别出车架号列；文件的列：…"."""
    return _("No %(column)s column was recognised; the file's columns: %(columns)s.") % {
        "column": label(kind, "vin"), "columns": file_columns(header_cells)}


def missing_columns(header: Header, kind: str) -> list[str]:
    """The required columns the header lacks, by their usual names ('车架号/车牌号')."""
    found = set(header.columns.values())
    return ["/".join(label(kind, name) for name in group)
            for group in REQUIRED[kind] if not found.intersection(group)]
