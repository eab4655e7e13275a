"""Predictions checked against what happened: each night judges the runs of 30 and 90 days
before on the outcomes now known, against the model card's backtest.

- `judge`: the figures of one past run (pure: its outputs and the facts known now);
- `references`: the backtest figures of the model card each figure is compared with;
- `step`: the nightly step (find the past runs, judge, flag model alerts, write, log).
"""
