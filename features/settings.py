"""Settings of the features package, from `ARSIGHT_*` environment variables.

Nothing is read at import: call `get_features_settings()` from an entry point.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from features import locations


class FeaturesSettings(BaseSettings):
    """Where data and the online store live, and the contract's bound on amounts.

    Attributes:
        home: root for data, stores and outputs (`ARSIGHT_HOME`, default the current directory).
        online_store: path of a Parquet file, or a SQLite/PostgreSQL URL
            (`ARSIGHT_ONLINE_STORE`); relative paths are below `home`.
        data_dir: the data directory (`ARSIGHT_DATA_DIR`), below `home` when relative.
        max_amount: the largest amount (invoice, payment, deal, credit limit) the data contract
            accepts (`ARSIGHT_MAX_AMOUNT`, default 1e12): far above any real invoice, far below
            where sums of amounts overflow to infinity.
    """

    model_config = SettingsConfigDict(env_prefix="ARSIGHT_", env_file=".env", extra="ignore")

    home: Path = Path(".")
    online_store: str = locations.ONLINE_STORE
    data_dir: str = locations.DATA_DIR
    max_amount: float = Field(1e12, gt=0.005, allow_inf_nan=False)

    def resolve(self, path: str | Path) -> Path:
        """`path` if absolute, else below `home`."""
        return locations.under_home(self.home, path)

    @property
    def data_directory(self) -> Path:
        """The data directory (canonical tables) below home, as the pages read it."""
        return self.resolve(self.data_dir)

    @property
    def online_store_location(self) -> str:
        """The store as `read_online_store` wants it: a URL as is, a path below home."""
        return locations.location(self.home, self.online_store)


@lru_cache
def get_features_settings() -> FeaturesSettings:
    return FeaturesSettings()
