"""ERP exports through a YAML mapping: the mapping, cell parsing, customers, worked examples."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from arsight.cli import app
from features.errors import MappingError, SourceError
from features.sources.mapped_csv import import_mapped_csv
from features.sources.mapping import load_mapping, parse_mapping
from features.sources.source_values import parse_dates, parse_numbers

SAMPLES = Path(__file__).parent / "samples"
REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "importers.md"

BASE = {
    "invoice_id": "Doc",
    "customer_id": "Cust",
    "issue_date": "Date",
    "due_date": {"derive": "issue_date + Terms"},
    "amount": "Amount",
}


def _mapping(**columns: object) -> dict[str, object]:
    return {"invoices": {"columns": {**BASE, **columns}}}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _mapping(amout="X"),
            "m.yaml: invoices.columns.amout: unknown canonical column 'amout'; expected one of "
            "['invoice_id', 'customer_id', 'issue_date', 'due_date', 'amount', 'currency', "
            "'cleared_date', 'disputed', 'paperless']",
        ),
        (
            _mapping(issue_date={"column": "Date", "format": "%d.%m"}),
            "m.yaml: invoices.columns.issue_date: bad date format '%d.%m': it must name year, "
            "month and day, such as '%d-%b-%y', '%m/%d/%Y' or 'yyyymmdd_number'",
        ),
        (
            _mapping(issue_date={"column": "Date", "format": "%d.%Q.%Y"}),
            "m.yaml: invoices.columns.issue_date: bad date format '%d.%Q.%Y' "
            "('Q' is a bad directive in format '%d.%Q.%Y')",
        ),
        (
            _mapping(disputed={"column": "D", "values": {True: True, False: False}}),
            "m.yaml: invoices.columns.disputed: values key True is not text; quote it in YAML "
            "(for example 'Yes': true)",
        ),
        (
            {"invoices": {"columns": {"invoice_id": "Doc", "amount": "A"}}},
            "m.yaml: invoices.columns: missing required canonical columns "
            "['customer_id', 'issue_date', 'due_date']",
        ),
        (
            _mapping(currency={"constant": False}),
            "m.yaml: invoices.columns.currency.constant: False is not a str value; "
            "quote it in YAML",
        ),
        (
            _mapping(cleared_date={"derive": "issue_date * 2"}),
            "m.yaml: invoices.columns.cleared_date: cannot read derive 'issue_date * 2'; expected "
            "'<date column> + <days>' where days is a whole number or a source column "
            '(quote names with spaces: "Net Days")',
        ),
        (
            _mapping(cleared_date={"derive": "amount + 3"}),
            "m.yaml: invoices.columns.cleared_date: derive 'amount + 3' must start from a date "
            "column mapped in this table; 'amount' is not one",
        ),
        (
            _mapping(cleared_date={"derive": "due_date + 3"}),
            "m.yaml: invoices.columns.cleared_date: derive 'due_date + 3' starts from 'due_date', "
            "which is itself derived; start from a column read from the export",
        ),
        (
            _mapping(amount={"column": "Amount", "derive": "issue_date + 1"}),
            "m.yaml: invoices.columns.amount: give exactly one of 'column', 'constant' or "
            "'derive'; got ['column', 'derive']",
        ),
        (
            _mapping(amount={"column": "Amount", "format": "%Y-%m-%d"}),
            "m.yaml: invoices.columns.amount: 'format' applies to date columns; amount is float",
        ),
        (
            {**_mapping(), "customers": {"columns": {"customer_id": "Cust"}}},
            "m.yaml: customers.columns.customer_id: without customers.file, customer ids come "
            "from invoices.columns.customer_id; remove it or add customers.file",
        ),
        (
            {**_mapping(), "source": {"delimiter": ";;"}},
            "m.yaml: source.delimiter: String should have at most 1 character",
        ),
        (
            _mapping(issue_date={"constant": "01.01.2024"}),
            "m.yaml: invoices.columns.issue_date.constant: '01.01.2024' is not a YYYY-MM-DD date",
        ),
        (
            {**_mapping(), "sauce": {}},
            "m.yaml: sauce: Extra inputs are not permitted",
        ),
    ],
)
def test_bad_mappings_name_the_key_and_what_was_expected(document: object, message: str) -> None:
    with pytest.raises(MappingError) as info:
        parse_mapping(document, origin="m.yaml")
    assert str(info.value) == message


def test_yaml_reads_unquoted_yes_as_a_boolean_and_the_mapping_says_so(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(_mapping()) + "    disputed: {column: D, values: {Yes: true}}\n")
    with pytest.raises(MappingError, match=r"values key True is not text; quote it in YAML"):
        load_mapping(path)


def test_unknown_source_column_is_a_mapping_error_naming_key_and_header(tmp_path: Path) -> None:
    export = tmp_path / "e.csv"
    export.write_text("Doc,Cust,Date,Terms,Amt\nD1,K1,2024-01-02,30,5\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(_mapping()))
    with pytest.raises(MappingError) as info:
        import_mapped_csv(export, mapping, tmp_path / "out")
    assert str(info.value) == (
        "invoices.columns.amount: source column 'Amount' not in the export; "
        "columns: ['Doc', 'Cust', 'Date', 'Terms', 'Amt']"
    )
    assert not (tmp_path / "out").exists()


def test_wrong_delimiter_gets_a_hint(tmp_path: Path) -> None:
    export = tmp_path / "e.csv"
    export.write_text("Doc;Cust;Date;Terms;Amount\nD1;K1;2024-01-02;30;5\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(_mapping()))
    with pytest.raises(MappingError) as info:
        import_mapped_csv(export, mapping, tmp_path / "out")
    assert str(info.value) == (
        "invoices.columns.amount: source column 'Amount' not in the export; "
        "columns: ['Doc;Cust;Date;Terms;Amount'] (one column only: is source.delimiter right?)"
    )


def test_wrong_encoding_says_how_to_fix_it(tmp_path: Path) -> None:
    export = tmp_path / "e.csv"
    export.write_bytes("Doc,Cust,Date,Terms,Amount\nD1,Müller,2024-01-02,30,5\n".encode("cp1252"))
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(_mapping()))
    with pytest.raises(SourceError) as info:
        import_mapped_csv(export, mapping, tmp_path / "out")
    assert str(info.value) == (
        f"{export}: cannot decode as 'utf-8' (UnicodeDecodeError); set source.encoding in the "
        "mapping (for example cp1252)"
    )


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("07-Mar-19", "%d-%b-%y", "2019-03-07"),
        ("3/7/2019", "%m/%d/%Y", "2019-03-07"),
        (" 07.03.2019 ", "%d.%m.%Y", "2019-03-07"),
        ("07.03.2019 14:30", "%d.%m.%Y %H:%M", "2019-03-07"),
        ("20190307.0", "yyyymmdd_number", "2019-03-07"),
        ("20190307", "yyyymmdd_number", "2019-03-07"),
        ("2019030.7", "yyyymmdd_number", None),
        ("20190230", "yyyymmdd_number", None),
        ("2019-03-07", "%d.%m.%Y", None),
    ],
)
def test_dates_are_read_only_in_the_stated_format(
    text: str, fmt: str, expected: str | None
) -> None:
    parsed = parse_dates(pd.Series([text], dtype="str"), fmt)
    assert parsed.dtype == "datetime64[ns]"
    if expected is None:
        assert pd.isna(parsed[0])
    else:
        assert parsed[0] == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("1.234,56", ",", ".", 1234.56),
        ("-1.500,00", ",", ".", -1500.0),
        ("1,234.56", ".", ",", 1234.56),
        ("1 234,5", ",", " ", 1234.5),
        ("1,234.56", ",", None, None),
        ("1,5", ".", None, None),
        ("12 EUR", ".", None, None),
        ("inf", ".", None, None),
    ],
)
def test_numbers_follow_the_stated_separators(
    text: str, decimal: str, thousands: str | None, expected: float | None
) -> None:
    parsed = parse_numbers(pd.Series([text], dtype="str"), decimal, thousands)
    if expected is None:
        assert pd.isna(parsed[0])
    else:
        assert parsed[0] == expected


def test_customers_from_invoice_rows_reject_conflicts_and_bad_cells(tmp_path: Path) -> None:
    result = import_mapped_csv(
        SAMPLES / "erp_conflicts.csv", SAMPLES / "erp_conflicts.yaml", tmp_path
    )
    assert result.rows_in == {"customers": 2, "invoices": 6}
    assert result.rows_written == {"customers": 1, "invoices": 2}
    assert result.rows_rejected == {"customers": 1, "invoices": 4}
    invoices = pd.read_parquet(tmp_path / "invoices.parquet")
    first = invoices.iloc[0]
    assert (first.invoice_id, first.customer_id, first.amount, first.currency) == (
        "D1",
        "K1",
        1000.5,
        "EUR",
    )
    assert (first.issue_date, first.due_date, first.cleared_date) == (
        pd.Timestamp("2019-03-07"),
        pd.Timestamp("2019-04-06"),
        pd.Timestamp("2019-04-01"),
    )
    assert pd.isna(invoices.iloc[1].cleared_date)
    customers = pd.read_parquet(tmp_path / "customers.parquet")
    assert customers[["customer_id", "name", "country"]].values.tolist() == [
        ["K1", "Alpha GmbH", "DE"]
    ]
    rejected = pd.read_csv(tmp_path / "rejects" / "customers.csv")
    assert rejected["reason"].tolist() == [
        "customer 'K2': conflicting name values 'Beta S.A.' (source row 4), "
        "'Beta SA' (source row 3)"
    ]
    reasons = pd.read_csv(tmp_path / "rejects" / "invoices.csv", dtype=str)
    assert reasons[["source_row", "Doc", "reason"]].values.tolist() == [
        ["3", "D3", "source row 3: column customer_id, value 'K2': not found in customers"],
        ["4", "D4", "source row 4: column customer_id, value 'K2': not found in customers"],
        [
            "5",
            "D5",
            "source row 5: column 'Date' value '2019-03-22' does not match date format "
            "'yyyymmdd_number' (for issue_date)",
        ],
        [
            "6",
            "D6",
            "source row 6: column 'Amount' value '12 EUR' is not a number (decimal '.', "
            "thousands ',') (for amount)",
        ],
    ]


def test_constants_values_and_fixed_day_derivations(tmp_path: Path) -> None:
    export = tmp_path / "e.csv"
    export.write_text(
        "Doc;Cust;Date;Amount;Flag;Land\n"
        "D1;K1;07.03.2019;1.000,5;Y;D\n"
        "D2;K1;08.03.2019;20;maybe;D\n"
        "D3;K2;09.03.2019;30;N;FR\n"
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "source: {delimiter: ';', decimal: ',', thousands: '.', date_format: '%d.%m.%Y'}\n"
        "invoices:\n  columns:\n    invoice_id: Doc\n    customer_id: Cust\n"
        "    due_date: Date\n    issue_date: {derive: due_date - 30}\n"
        "    cleared_date: {derive: due_date + 2}\n    amount: Amount\n"
        "    currency: {constant: EUR}\n"
        "    disputed: {column: Flag, values: {'Y': true, 'N': false}}\n"
        "customers:\n  columns:\n    country: {column: Land, values: {'D': DE}}\n"
        "    segment: {constant: mid}\n"
    )
    result = import_mapped_csv(export, mapping, tmp_path / "out")
    assert result.rows_written == {"customers": 2, "invoices": 2}
    invoices = pd.read_parquet(tmp_path / "out" / "invoices.parquet")
    assert invoices["issue_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-02-05",
        "2019-02-07",
    ]
    assert invoices["cleared_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-03-09",
        "2019-03-11",
    ]
    assert invoices["disputed"].tolist() == [True, False]
    assert invoices["amount"].tolist() == [1000.5, 30.0]
    customers = pd.read_parquet(tmp_path / "out" / "customers.parquet")
    assert customers[["customer_id", "country", "segment"]].values.tolist() == [
        ["K1", "DE", "mid"],
        ["K2", "FR", "mid"],
    ]
    reasons = pd.read_csv(tmp_path / "out" / "rejects" / "invoices.csv")["reason"].tolist()
    assert reasons == [
        "source row 2: column 'Flag' value 'maybe' is not one of the boolean values ['N', 'Y'] "
        "(for disputed)"
    ]


def _doc_blocks(kind: str) -> list[tuple[str, str]]:
    """(name, text) of every fenced block in the docs announced by `<!-- kind: name -->`."""
    text = DOCS.read_text(encoding="utf-8")
    pattern = rf"<!-- {kind}: (\S+) -->\n```\w*\n(.*?)```"
    return re.findall(pattern, text, flags=re.DOTALL)


def _worked_examples() -> list[str]:
    return DOCS.read_text(encoding="utf-8").split("## Worked example ")[1:]


def test_shipped_mappings_are_the_ones_in_the_docs() -> None:
    blocks = _doc_blocks("mapping")
    assert [name for name, _ in blocks] == [
        "examples/mappings/sap_fbl5n.yaml",
        "examples/mappings/invoice_register.yaml",
    ]
    for name, text in blocks:
        assert (REPO / name).read_text(encoding="utf-8") == text


@pytest.mark.parametrize("number", [1, 2])
def test_worked_example_runs_as_documented(
    number: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    section = _worked_examples()[number - 1]
    files = re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```", section, flags=re.DOTALL)
    (mapping_name,) = re.findall(r"<!-- mapping: (\S+) -->", section)
    encoding = load_mapping(REPO / mapping_name).source.encoding
    for name, text in files:
        (tmp_path / name).write_bytes(text.encode(encoding))
    (tmp_path / "examples").mkdir()
    shutil.copytree(REPO / "examples" / "mappings", tmp_path / "examples" / "mappings")
    command = re.search(r"<!-- command -->\n```console\n\$ arsight (.*?)\n(.*?)```", section, re.S)
    assert command is not None
    monkeypatch.chdir(tmp_path)
    run = CliRunner().invoke(app, command[1].split())
    assert run.exit_code == 0, run.output
    printed = [line.rstrip() for line in run.output.splitlines()]
    for line in command[2].splitlines():
        assert line.rstrip() in printed
    ((reject_name, expected),) = re.findall(
        r"<!-- rejects: (\S+) -->\n```\w*\n(.*?)```", section, flags=re.DOTALL
    )
    out = Path(command[1].split("--out ")[1])
    assert (out / "rejects" / reject_name).read_text(encoding="utf-8") == expected
    table, key, column_values = DOCUMENTED_ROWS[number]
    frame = pd.read_parquet(out / f"{table}.parquet").set_index(table[:-1] + "_id")
    row = frame.loc[key]
    assert {c: row[c] for c in column_values} == column_values


DOCUMENTED_ROWS: dict[int, tuple[str, str, dict[str, object]]] = {
    1: (
        "invoices",
        "1800000101",
        {
            "customer_id": "100234",
            "issue_date": pd.Timestamp("2024-01-03"),
            "due_date": pd.Timestamp("2024-02-02"),
            "amount": 12450.0,
            "currency": "EUR",
            "cleared_date": pd.Timestamp("2024-01-31"),
            "disputed": False,
        },
    ),
    2: (
        "customers",
        "C-17",
        {
            "name": "Acme Tools Inc.",
            "industry": "Manufacturing",
            "credit_limit": 25000.0,
            "onboarding_date": pd.Timestamp("2015-01-12"),
        },
    ),
}
"""The rows each worked example's text describes after its command."""


def test_cli_mapping_error_exits_1_with_one_line(tmp_path: Path) -> None:
    export = tmp_path / "e.csv"
    export.write_text("Doc,Cust,Date,Terms,Amount\n")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml.safe_dump(_mapping(amout="X")))
    run = CliRunner().invoke(
        app, ["data", "import", "csv", str(export), "--mapping", str(mapping), "--out", "o"]
    )
    assert run.exit_code == 1
    assert run.output.startswith(f"error: {mapping}: invoices.columns.amout: unknown canonical")
    assert len(run.output.strip().splitlines()) == 1
