"""Labels overdue_30d and dso_30d, grace, horizon and censoring; training snapshots."""

from __future__ import annotations

import math

import pytest

from features.labels import DEFAULT_DEFINITION, LabelDefinition, build_labels
from features.snapshots import month_end_snapshots
from tests.features.builders import day, invoice, make_tables, row_of

T = "2024-06-30"  # window (t, t+30d] = (2024-06-30, 2024-07-30]

CUSTOMERS = [{"customer_id": c, "onboarding_date": "2024-01-01"} for c in "ABCDE"]
INVOICES = [
    invoice("L1", "A", "2024-06-01", "2024-07-01", 100.0, "2024-07-01"),  # on its due date
    invoice("L2", "A", "2024-07-01", "2024-07-30", 300.0, "2024-07-31"),  # 1 day late
    invoice("L3", "B", "2024-05-31", "2024-06-30", 50.0, "2024-06-30"),  # due exactly at t
    invoice("L4", "B", "2024-07-01", "2024-07-31", 50.0),  # due after the window
    invoice("L5", "C", "2024-06-15", "2024-07-15", 200.0),  # never cleared
    invoice("L6", "C", "2024-06-20", "2024-07-20", 100.0, "2024-07-10"),
    invoice("L7", "D", "2024-06-10", "2024-07-10", 100.0, "2024-07-10"),
]
TABLES = make_tables(CUSTOMERS, INVOICES)


def labels(definition: LabelDefinition = DEFAULT_DEFINITION, data_end: str = "2024-12-31"):
    frame = build_labels(TABLES, [day(T)], definition, day(data_end))
    return {c: (row_of(frame, c)["overdue_30d"], row_of(frame, c)["dso_30d"]) for c in "ABCDE"}


def test_overdue_and_dso_labels_exact() -> None:
    expected = {
        "A": (1.0, 300 / 400 * 90),  # at 2024-07-30: L2 open, sales 400
        "B": (math.nan, 50 / 100 * 90),  # no invoice due in the window
        "C": (1.0, 200 / 300 * 90),
        "D": (0.0, 0.0),
        "E": (math.nan, math.nan),  # no invoice, no sales: both excluded
    }
    result = labels()
    assert list(result) == list(expected)
    for customer, pair in expected.items():
        assert result[customer] == pytest.approx(pair, nan_ok=True), customer


def test_grace_days_forgive_a_day_late() -> None:
    result = labels(LabelDefinition(grace_days=1))
    assert [result[c][0] for c in "ACD"] == [0.0, 1.0, 0.0]


def test_labels_are_censored_until_the_outcome_is_known() -> None:
    assert [v for pair in labels(data_end="2024-07-29").values() for v in pair] == pytest.approx(
        [math.nan] * 10, nan_ok=True
    )
    known = labels(data_end="2024-07-30")
    assert [known[c][0] for c in "ACD"] == [1.0, 1.0, 0.0]
    censored = labels(LabelDefinition(grace_days=1), data_end="2024-07-30")
    assert math.isnan(censored["A"][0])
    assert censored["A"][1] == pytest.approx(67.5)  # the DSO label needs only t + 30d


def test_labels_frame_contract() -> None:
    frame = build_labels(TABLES, [day("2024-07-31"), day(T)], data_end=day("2024-12-31"))
    assert list(frame.columns) == [
        "customer_id",
        "as_of",
        "overdue_30d",
        "dso_30d",
        "delinquent_90d",
    ]
    assert [str(t) for t in frame.dtypes] == ["str", "datetime64[ns]", *["float64"] * 3]
    assert frame["as_of"].dt.strftime("%m-%d").tolist() == ["06-30"] * 5 + ["07-31"] * 5
    assert frame.index.tolist() == list(range(10))


def test_label_definition_is_validated_and_recorded() -> None:
    assert LabelDefinition(45, 3, 60).to_dict() == {
        "horizon_days": 45,
        "grace_days": 3,
        "dso_window_days": 60,
        "delinquent_days": 30,
        "delinquency_horizon_days": 90,
    }
    with pytest.raises(ValueError) as err:
        LabelDefinition(grace_days=-1)
    assert str(err.value) == (
        "LabelDefinition needs horizon_days >= 1, grace_days >= 0, dso_window_days >= 1; "
        "got {'horizon_days': 30, 'grace_days': -1, 'dso_window_days': 90, "
        "'delinquent_days': 30, 'delinquency_horizon_days': 90}"
    )
    with pytest.raises(ValueError) as err:
        LabelDefinition(delinquency_horizon_days=0)
    assert str(err.value).startswith(
        "LabelDefinition needs delinquent_days >= 0, delinquency_horizon_days >= 1; got "
    )


def test_month_end_snapshots_leave_out_the_label_horizon() -> None:
    tables = make_tables(
        CUSTOMERS[:1],
        [
            invoice("S1", "A", "2024-01-01", "2024-01-31", 10.0, "2024-02-01"),
            invoice("S2", "A", "2024-07-01", "2024-07-31", 10.0, "2024-08-30"),
        ],
    )
    # history from 2024-01-01 + 90d = 2024-03-31; data end 2024-08-30 - 30d = 2024-07-31
    assert month_end_snapshots(tables) == [
        day("2024-03-31"),
        day("2024-04-30"),
        day("2024-05-31"),
        day("2024-06-30"),
        day("2024-07-31"),
    ]
    assert month_end_snapshots(tables, LabelDefinition(grace_days=1)) == [
        day(d) for d in ("2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30")
    ]
    assert month_end_snapshots(tables, as_of=day("2024-06-29"), min_history_days=0) == [
        day("2024-01-31"),
        day("2024-02-29"),
        day("2024-03-31"),
        day("2024-04-30"),
    ]
    assert month_end_snapshots(tables, as_of=day("2024-03-01")) == []
