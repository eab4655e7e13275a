"""Where an arsight home keeps things, and how a setting becomes a path or a URL.

Every package's settings resolve their locations here, so that one `ARSIGHT_HOME` means the
same files to every command: `arsight demo` leaves a home that `arsight serve`, `arsight score`
and `arsight train` understand without further variables. The embedded layout of a home:

| what | default below home | setting |
|---|---|---|
| data directory (canonical tables) | `data/` | `ARSIGHT_DATA_DIR` |
| online feature store | `store/online.parquet` | `ARSIGHT_ONLINE_STORE` |
| audit log (SQLite) | `audit/audit.db` | `ARSIGHT_AUDIT_DB_URL` |
| MLflow store | `models/mlflow.db`, artifacts in `models/artifacts/` | `MLFLOW_TRACKING_URI` |
| batch runs | `runs/<date>/` | `ARSIGHT_RUNS_DIR` |

A setting is either a URL (it contains `://`: `sqlite:///...`, `postgresql+psycopg://...`,
`http://...`), used as it is, or a path, absolute or relative to home.
"""

from __future__ import annotations

from pathlib import Path

DATA_DIR = "data"
ONLINE_STORE = "store/online.parquet"
AUDIT_DB = "audit/audit.db"
MLFLOW_DB = "models/mlflow.db"
RUNS_DIR = "runs"


def is_url(value: str | Path) -> bool:
    """Whether a location setting is a URL (`scheme://...`) rather than a file path."""
    return isinstance(value, str) and "://" in value


def under_home(home: Path, path: str | Path) -> Path:
    """`path` if absolute, else below `home`."""
    p = Path(path)
    return p if p.is_absolute() else home / p


def location(home: Path, value: str | Path) -> str:
    """A URL as it is; a path resolved below `home` (as text, as stores take it)."""
    return value if is_url(value) else str(under_home(home, value))


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy/MLflow URL of a SQLite file (absolute, so the working dir never matters)."""
    return f"sqlite:///{path.resolve()}"


def database_url(home: Path, value: str | None, default_file: str) -> str:
    """`value` if it is set, else a SQLite file `default_file` below home."""
    return value if value else sqlite_url(under_home(home, default_file))
