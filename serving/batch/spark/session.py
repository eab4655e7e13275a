"""The SparkSession of the Spark scoring engine, from `--master` and `SPARK_*` settings.

Local mode (`local[*]`) is the default, so `arsight score --engine spark` runs on a laptop with
only Java installed; a cluster is one `--master` (or `SPARK_MASTER`) away. The session is
built offline: no `spark.jars.packages`, nothing is downloaded at run time, the web UI is off
and the driver binds to `SPARK_DRIVER_HOST` (127.0.0.1 by default, which a cluster must
override with an address its executors can reach).

Executors run the same Python as the driver by default (`sys.executable`, exported as
PYSPARK_PYTHON for local mode), so they import the same arsight, pandas and LightGBM; on a
cluster `SPARK_PYTHON` names the interpreter of an environment shipped to every node.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

logger = logging.getLogger(__name__)

APP_NAME = "arsight-score"
PANDAS_NOTICE = "PySpark does not yet fully support pandas"


class SparkSettings(BaseSettings):
    """How the Spark engine connects and sizes its work (environment: `SPARK_<FIELD>`).

    Attributes:
        master: Spark master URL: `local[*]`, `local[4]`, `spark://host:7077`, `yarn`, `k8s://...`.
        partitions: customer partitions (one pandas task each); 0 = twice the default
            parallelism. Each partition holds all rows of its customers.
        shuffle_partitions: `spark.sql.shuffle.partitions` of the small aggregate passes.
        driver_host: address the driver binds to and advertises.
        driver_memory, executor_memory, executor_cores: the usual Spark sizes (None: Spark's).
        python: interpreter of the Python workers; default the driver's own.
        conf: any further Spark properties, as JSON in `SPARK_CONF`.
    """

    model_config = SettingsConfigDict(env_prefix="SPARK_", extra="ignore")

    master: str = "local[*]"
    partitions: int = Field(default=0, ge=0)
    shuffle_partitions: int = Field(default=8, ge=1)
    driver_host: str = "127.0.0.1"
    driver_memory: str | None = None
    executor_memory: str | None = None
    executor_cores: int | None = Field(default=None, ge=1)
    python: str | None = None
    conf: dict[str, str] = Field(default_factory=dict)

    def spark_conf(self) -> dict[str, str]:
        """Every Spark property the session is built with (also recorded in the MLflow run)."""
        conf = {
            "spark.master": self.master,
            "spark.app.name": APP_NAME,
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.driver.host": self.driver_host,
            "spark.driver.bindAddress": self.driver_host,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
            # Parquet written by pandas stores nanosecond timestamps, which Spark reads as longs.
            "spark.sql.legacy.parquet.nanosAsLong": "true",
            "spark.pyspark.python": self.python or sys.executable,
        }
        optional = {
            "spark.driver.memory": self.driver_memory,
            "spark.executor.memory": self.executor_memory,
            "spark.executor.cores": None
            if self.executor_cores is None
            else str(self.executor_cores),
        }
        conf |= {k: v for k, v in optional.items() if v is not None}
        return conf | self.conf


def build_session(settings: SparkSettings) -> SparkSession:
    """Start (or join) the SparkSession described by `settings`.

    Raises:
        ImportError: pyspark is not installed (the `spark` extra).
    """
    from pyspark.sql import SparkSession

    conf = settings.spark_conf()
    # Local-mode workers are started by the driver and read the interpreter from the environment.
    os.environ.setdefault("PYSPARK_PYTHON", conf["spark.pyspark.python"])
    os.environ.setdefault("SPARK_LOCAL_IP", settings.driver_host)
    # PySpark 4.3 warns on every pandas call that pandas 3 is not yet fully supported; the
    # engine's parity test is what vouches for the combination.
    warnings.filterwarnings("ignore", message=PANDAS_NOTICE, category=FutureWarning)
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    logger.info("Spark %s session on %s", session.version, settings.master)
    return session


def default_partitions(session: SparkSession, settings: SparkSettings) -> int:
    """The number of customer partitions: the setting, else twice the default parallelism."""
    if settings.partitions:
        return settings.partitions
    return 2 * int(session.sparkContext.defaultParallelism)


def cluster_description(session: SparkSession, settings: SparkSettings) -> dict[str, str]:
    """Engine and cluster configuration as MLflow parameters (`spark_*`)."""
    conf = session.sparkContext.getConf()
    return {
        "engine": "spark",
        "spark_version": session.version,
        "spark_master": settings.master,
        "spark_default_parallelism": str(session.sparkContext.defaultParallelism),
        "spark_partitions": str(default_partitions(session, settings)),
        "spark_driver_memory": conf.get("spark.driver.memory", "default"),
        "spark_executor_memory": conf.get("spark.executor.memory", "default"),
        "spark_executor_cores": conf.get("spark.executor.cores", "default"),
    }
