"""A messy delivered-customer workbook, as the store's archives really look.

    .venv/bin/python bench/messy_archive.py OUT.xlsx [--rows 100000] [--seed 1]

Two title rows above the header; Chinese column names with variants; dates as date cells, Excel
serials and text in three forms; phones with spaces, dashes, +86, full-width digits, and
sometimes two numbers in one cell; plates with a middle dot or lower case; stray spaces in names;
one customer in ten with a second car (another row, same mobile); about 1% of rows invalid (a
wrong VIN check digit, a phone that is not one, a date that is not one). Deterministic for a seed.
"""

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from customers.normalize import vin_check_digit  # noqa: E402

HEADER = ["序号", "客户姓名", "性别", "联系电话", "联系地址", "车架号(VIN)", "车牌号", "品牌", "车型", "颜色",
          "开票日期", "销售顾问", "开票金额", "备注"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志海燕晓东红梅玉春金凤丹欣怡子轩浩然宇航思远雨涵"
MODELS = [("雷诺", "科雷傲"), ("雷诺", "卡缤"), ("雷诺", "科雷嘉"), ("雷诺", "风朗"), ("三菱", "欧蓝德"),
          ("三菱", "劲炫"), ("三菱", "帕杰罗")]
COLOURS = ["白色", "黑色", "银色", "灰色", "红色", "蓝色"]
CONSULTANTS = ["刘洋", "陈静", "张磊", "王芳", "李强", "赵敏"]
CITIES = ["蚌埠市蚌山区", "蚌埠市龙子湖区", "怀远县城关镇", "固镇县", "五河县"]
ROADS = ["胜利路", "淮河路", "涂山路", "解放路", "延安路"]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
PLATE_CHARS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def vin(serial: int, wmi: str) -> str:
    body = f"{wmi}RFB00XTA{serial:06d}" if serial < 1_000_000 else f"{wmi}RFB00XT{VIN_CHARS[serial // 1_000_000]}" \
                                                                   f"{serial % 1_000_000:06d}"
    body = body[:8] + "0" + body[9:]
    return body[:8] + vin_check_digit(body) + body[9:]


def plate(serial: int) -> str:
    n = (serial * 7919) % (34 * 34 * 1000)
    head, digits = divmod(n, 1000)
    return "皖C" + PLATE_CHARS[head // 34] + PLATE_CHARS[head % 34] + f"{digits:03d}"


def messy_phone(rng: random.Random, mobile: str) -> str:
    form = rng.random()
    if form < 0.35:
        return mobile
    if form < 0.55:
        return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    if form < 0.70:
        return f"+86 {mobile}"
    if form < 0.80:
        return f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
    if form < 0.90:
        return mobile.translate(FULL_WIDTH)
    if form < 0.96:
        return f"{mobile} / 0552-{rng.randrange(2000000, 9999999)}"
    return int(mobile)  # a number cell


def messy_date(rng: random.Random, day: date):
    form = rng.random()
    if form < 0.3:
        return day  # a date cell
    if form < 0.45:
        return (day - date(1899, 12, 30)).days  # an Excel serial as a number
    if form < 0.65:
        return f"{day.year}年{day.month}月{day.day}日"
    if form < 0.85:
        return f"{day.year}/{day.month}/{day.day}"
    return f"{day:%Y.%m.%d}"


def rows(count: int, seed: int):
    """The data rows: `count` of them, about one in ten the second car of the row before's customer."""
    rng = random.Random(seed)
    start = date(2012, 1, 1)
    person = None
    for index in range(count):
        if person is None or rng.random() >= 0.1:
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            mobile = rng.choice(["138", "139", "150", "186", "189"]) + f"{index:08d}"
            person = (name, rng.choice("男女"), mobile,
                      f"{rng.choice(CITIES)}{rng.choice(ROADS)}{rng.randrange(1, 300)}号")
        name, gender, mobile, address = person
        brand, model = rng.choice(MODELS)
        serial = index + 1
        row = [index + 1, name if rng.random() < 0.9 else f" {name[0]} {name[1:]} ", gender, messy_phone(rng, mobile),
               address, vin(serial, "VF1" if brand == "雷诺" else "JMB"),
               plate(serial).replace("皖C", rng.choice(["皖C", "皖C·", "皖c "])) if rng.random() < 0.9 else "",
               brand, model, rng.choice(COLOURS), messy_date(rng, start + timedelta(days=rng.randrange(0, 5000))),
               rng.choice(CONSULTANTS), f"{rng.randrange(100, 300)},{rng.randrange(0, 10)}00", ""]
        fault = rng.random()
        if fault < 0.004:
            row[5] = row[5][:8] + ("1" if row[5][8] != "1" else "2") + row[5][9:]  # wrong check digit
        elif fault < 0.007:
            row[3] = "1380000"  # not a phone number
        elif fault < 0.010:
            row[10] = "下个月"  # not a date
        yield row


def write(path: Path, *, count: int, seed: int = 1) -> Path:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("交车客户")
    sheet.append(["雷诺4S店 交车客户档案"])
    sheet.append([f"导出日期：2026年11月27日　共 {count} 条"])
    sheet.append(HEADER)
    for row in rows(count, seed):
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(write(Path(args.out), count=args.rows, seed=args.seed))
