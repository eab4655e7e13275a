"""`arsight score --engine pandas|spark [--master URL]`: which engine runs the scoring job.

The pandas engine (`serving.batch.job.run_batch`) is the default and needs nothing more. The
Spark engine (`serving.batch.spark.job.run_on_spark`) needs the `spark` extra (pyspark) and
Java; it is imported only when chosen.
"""

from __future__ import annotations

from typing import Literal

from serving.batch.types import BatchError, BatchRequest, BatchResult, ExitCode, Progress
from serving.settings import ServingSettings

Engine = Literal["pandas", "spark"]
ENGINES: tuple[Engine, ...] = ("pandas", "spark")


def run_scoring(
    engine: Engine,
    master: str | None,
    request: BatchRequest,
    settings: ServingSettings,
    progress: Progress | None = None,
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
        from serving.batch.job import run_batch

        return run_batch(request, settings, progress)
    from serving.batch.spark.job import run_on_spark
    from serving.batch.spark.session import SparkSettings

    spark_settings = SparkSettings() if master is None else SparkSettings(master=master)
    return run_on_spark(request, settings, spark_settings)
