"""The scheduled scoring job (`arsight score`), on pandas or on Spark.

Modules, by role (nothing is imported here: `import serving.batch.spark.partition` on a
Spark executor loads only what it needs):

- the job's types: `types` (ExitCode, BatchError, BatchRequest, BatchResult);
- what both engines share, their only meeting point: `champion` (model and policy),
  `rejects` (validation rejects and their limit), `rows` (chunked scoring and one row per
  customer, the score file's columns), `history` (the previous run), `metrics`, `outputs`
  (atomic, deterministic files), `tracking` (MLflow);
- the pandas engine: `run` (one `ScoringRun` built once), `finish` (alerts, worklist, drift,
  audit, MLflow, outputs: functions of the run), `job` (`run_batch`), with `alerts`,
  `worklist` and `drift`;
- the Spark engine: `spark/` (`serving.batch.spark.job.run_on_spark`);
- `engine.run_scoring`, the dispatch the CLI calls, and `cli` (`arsight score`, `arsight
  alerts`).

The pandas engine never imports `spark/`, and `spark/` never imports the pandas engine's
modules (tests/serving/test_batch_layout.py checks it).
"""
