"""The retention results (招揽转化) as a workbook: every table of the report page, one row per line
of each table, the rates as the page shows them. Through the CRM's one export service, which
records the export in the audit log."""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealer_crm.exports import export_response

from .selectors import Rate, Report


@dataclass(frozen=True)
class Line:
    table: str
    month: str
    item: str
    rate: Rate


COLUMNS = [
    (gettext_lazy("Table"), lambda line: line.table),
    (gettext_lazy("Month"), lambda line: line.month),
    (gettext_lazy("Item"), lambda line: line.item),
    (gettext_lazy("Count"), lambda line: line.rate.made),
    (gettext_lazy("Came back or done in time"), lambda line: line.rate.converted),
    (gettext_lazy("Rate"), lambda line: line.rate.percent),
]


def report_lines(report: Report) -> list[Line]:
    """The report's tables as lines, in the page's order."""
    lines = []
    by_month, every_kind = _("By month and kind"), _("All kinds")
    for row in report.months:
        month = f"{row.month:%Y-%m}"
        lines += [Line(by_month, month, str(label), rate) for (_value, label), rate in zip(report.kinds, row.cells)]
        lines.append(Line(by_month, month, every_kind, row.total))
    total = _("Total")
    lines += [Line(by_month, total, str(label), rate) for (_value, label), rate in zip(report.kinds, report.total_by_kind)]
    lines.append(Line(by_month, total, every_kind, report.total))
    lines += [Line(_("By channel"), "", row.label, row.rate) for row in report.channels]
    lines += [Line(_("By service advisor"), "", row.label or _("Not recorded"), row.rate) for row in report.advisors]
    first = _("First maintenance by delivery month")
    lines += [Line(first, f"{row.month:%Y-%m}", _("Within the window"), row.rate) for row in report.first_maintenance]
    if report.bands:
        came_back, every_band = _("Lapsed customers who came back"), _("All bands")
        for row in report.lapses:
            month = f"{row.month:%Y-%m}"
            lines += [Line(came_back, month, band.name, rate) for band, rate in zip(report.bands, row.cells)]
            lines.append(Line(came_back, month, every_band, row.total))
    return lines


def report_export(*, report: Report, kind: str, fmt: str, by):
    return export_response(
        rows=report_lines(report), columns=COLUMNS, filename=f"retention-{report.start:%Y%m}-{report.end:%Y%m}",
        fmt=fmt, by=by, target_label=gettext_lazy("Retention results"),
        filters={"start": report.start, "end": report.end, "kind": kind})
