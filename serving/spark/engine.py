"""`arsight score --engine pandas|spark [--master URL]`: which engine runs the scoring job.

The pandas engine (`serving.batch.run_batch`) is the default and needs nothing more. The Spark
engine needs the `spark` extra (pyspark) and Java; its session is built here from the
`SPARK_*` settings, `--master` overriding `SPARK_MASTER`, and stopped when the job ends unless
it was already running in this process (a notebook's or a test's session is left alone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal

from serving.batch import run_batch
from serving.batch_run import BatchError, BatchRequest, BatchResult, ExitCode
from serving.settings import ServingSettings
from serving.spark.session import SparkSettings

logger = logging.getLogger(__name__)

Engine = Literal["pandas", "spark"]
ENGINES: tuple[Engine, ...] = ("pandas", "spark")


def run_scoring(
    engine: Engine,
    master: str | None,
    request: BatchRequest,
    settings: ServingSettings,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Run the scoring job on `engine` (`master` only for Spark).

    Raises:
        BatchError: bad options or a missing Spark installation (exit 2), Spark failing to
            start (exit 3), or whatever the engine's job raises.
    """
    if engine == "pandas":
        if master is not None:
            raise BatchError("--master applies to --engine spark only", ExitCode.BAD_INPUT)
        if request.out.is_dir():
            raise BatchError(
                f"--out {request.out}: a directory (Spark engine output); expected a file",
                ExitCode.BAD_INPUT,
            )
        return run_batch(request, settings, progress)
    spark_settings = SparkSettings() if master is None else SparkSettings(master=master)
    return run_on_spark(request, settings, spark_settings)


def run_on_spark(
    request: BatchRequest, settings: ServingSettings, spark_settings: SparkSettings
) -> BatchResult:
    """The Spark engine's job in a session built from `spark_settings` (see the module)."""
    try:
        from pyspark.errors import PySparkRuntimeError
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise BatchError(
            "--engine spark needs pyspark: pip install 'arsight[spark]'", ExitCode.BAD_INPUT
        ) from exc
    from serving.spark.job import run_spark_batch
    from serving.spark.session import build_session

    if request.refresh_store:
        logger.warning("--engine spark does not refresh the online store; run the pandas engine")
    running = SparkSession.getActiveSession()
    try:
        spark = build_session(spark_settings) if running is None else running
    except (PySparkRuntimeError, OSError) as exc:  # no Java, or the gateway did not start
        raise BatchError(f"Spark {spark_settings.master}: {exc}", ExitCode.UNAVAILABLE) from exc
    try:
        return run_spark_batch(request, settings, spark, spark_settings)
    finally:
        if running is None:
            spark.stop()
