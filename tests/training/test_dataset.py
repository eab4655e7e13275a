"""Time-based folds, the as-of cut of the tables and the data fingerprint."""

from __future__ import annotations

import pandas as pd
import pytest

from features.tables import Tables
from training.dataset import (
    Fold,
    categorical_columns,
    data_fingerprint,
    feature_columns,
    rolling_origin_folds,
    tables_known_by,
    tuning_fold,
)
from training.errors import DatasetError

T = pd.Timestamp


def month_ends(n: int) -> pd.Series:
    return pd.Series(pd.date_range("2024-01-31", periods=n, freq="ME"))


def test_rolling_origin_folds_leave_the_horizon_between_train_and_test() -> None:
    folds = rolling_origin_folds(month_ends(12), folds=3, fold_snapshots=2, gap_days=30)
    assert folds == [
        Fold(1, T("2024-06-30"), T("2024-07-31"), T("2024-08-31")),
        Fold(2, T("2024-07-31"), T("2024-09-30"), T("2024-10-31")),
        Fold(3, T("2024-09-30"), T("2024-11-30"), T("2024-12-31")),
    ]
    # test start must lie strictly after T + gap: 2024-08-31 + 30 days is 2024-09-30 itself
    assert folds[1].train_end + pd.Timedelta(days=30) < folds[1].test_start
    longer = rolling_origin_folds(month_ends(12), folds=3, fold_snapshots=2, gap_days=62)
    assert [f.train_end for f in longer] == [T("2024-04-30"), T("2024-06-30"), T("2024-08-31")]


def test_fold_split_never_mixes_periods(training_frame: pd.DataFrame) -> None:
    fold = rolling_origin_folds(training_frame["as_of"], 3, 2, 30)[-1]
    train, test = fold.split(training_frame)
    assert train["as_of"].max() == fold.train_end
    assert test["as_of"].min() - train["as_of"].max() > pd.Timedelta(days=30)
    assert sorted(test["as_of"].unique()) == [T("2025-05-31"), T("2025-06-30")]


def test_tuning_fold_lies_inside_the_first_folds_training_rows(
    training_frame: pd.DataFrame,
) -> None:
    folds = rolling_origin_folds(training_frame["as_of"], 3, 2, 30)
    tune = tuning_fold(training_frame, folds[0], 2, 30)
    assert tune == Fold(0, T("2024-09-30"), T("2024-11-30"), T("2024-12-31"))
    # Tuning sees no test row of any backtest fold.
    assert tune.test_end <= folds[0].train_end < min(f.test_start for f in folds)


def test_too_few_snapshots_is_a_clear_error() -> None:
    with pytest.raises(DatasetError) as caught:
        rolling_origin_folds(month_ends(6), folds=3, fold_snapshots=2, gap_days=30)
    assert str(caught.value) == "backtest needs more than 6 snapshots (3 folds x 2); got 6"
    with pytest.raises(DatasetError) as caught:
        rolling_origin_folds(month_ends(7), folds=3, fold_snapshots=2, gap_days=40)
    # month ends from 2024-01-31: the blocks start at 2024-02-29; 40 days earlier is 01-20
    assert str(caught.value) == (
        "fold 1: no snapshot before 2024-01-20 to train on "
        "(gap 40 days before test start 2024-02-29)"
    )


def test_tables_known_by_drops_and_reopens_later_facts() -> None:
    customers = pd.DataFrame({"customer_id": pd.Series(["a"], dtype="str")})
    invoices = pd.DataFrame(
        {
            "invoice_id": ["i1", "i2", "i3"],
            "customer_id": ["a", "a", "a"],
            "issue_date": [T("2024-01-01"), T("2024-01-20"), T("2024-02-05")],
            "cleared_date": [T("2024-01-15"), T("2024-02-10"), T("2024-02-06")],
        }
    )
    payments = pd.DataFrame(
        {"payment_id": ["p1", "p2"], "payment_date": [T("2024-01-31"), T("2024-02-01")]}
    )
    known = tables_known_by(Tables(customers, invoices, payments=payments), T("2024-01-31"))
    assert known.invoices["invoice_id"].tolist() == ["i1", "i2"]
    assert known.invoices["cleared_date"].tolist()[0] == T("2024-01-15")
    assert pd.isna(known.invoices["cleared_date"].tolist()[1])
    assert known.payments["payment_id"].tolist() == ["p1"]
    assert known.signals is None and known.deals is None
    assert invoices["cleared_date"].notna().all()  # input untouched


def test_feature_and_categorical_columns(training_frame: pd.DataFrame) -> None:
    assert feature_columns(training_frame) == [
        "customer_late_share_count_180d",
        "customer_dso_days",
        "customer_open_amount",
        "customer_noise",
        "customer_industry",
        "customer_segment",
    ]
    assert categorical_columns(training_frame) == ["customer_industry", "customer_segment"]


def test_fingerprint_changes_with_any_value(training_frame: pd.DataFrame) -> None:
    same = data_fingerprint(training_frame.copy())
    assert same == data_fingerprint(training_frame)
    changed = training_frame.copy()
    changed.loc[17, "customer_noise"] += 1e-9
    assert data_fingerprint(changed) != same
    assert len(same) == 64
