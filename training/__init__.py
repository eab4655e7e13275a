"""How a model is MADE: snapshots, backtests, baselines, LightGBM, Optuna, calibration, MLflow."""
