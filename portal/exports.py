"""A list as a download for Excel: CSV (UTF-8 with a byte-order mark, so Excel reads the Chinese
headers) or XLSX (openpyxl), the same header and rows in both. In the XLSX, numbers stay numbers
(integers: counts, scores, block numbers; money, were a list to carry it, as integer fen) and every
text is written as text, so a value such as "=1+1" or a long code is never a formula or a number."""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from starlette.responses import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Value = str | int


@dataclass(frozen=True)
class Table:
    name: str  # the file's name without its extension, and the sheet's title
    header: Sequence[str]
    rows: Iterable[Sequence[Value]]


# A cell starting with one of these is a formula to Excel (CSV injection, OWASP): names come from outside.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Value) -> Value:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def csv_response(table: Table) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.header)
    writer.writerows([_inert(v) for v in row] for row in table.rows)
    return _download(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", f"{table.name}.csv")


def xlsx_response(table: Table) -> Response:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(table.name[:31])  # Excel's limit on a sheet's title
    sheet.append([_text(sheet, h) for h in table.header])
    for row in table.rows:
        sheet.append([_text(sheet, v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return _download(out.getvalue(), XLSX, f"{table.name}.xlsx")


def _text(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # openpyxl would otherwise take a leading "=" for a formula
    return cell


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
