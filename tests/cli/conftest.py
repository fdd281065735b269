"""What the command-line tests share: the environment a ``healthcode`` command reads."""

from pathlib import Path

import pytest

from healthcode.config import Settings


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The test database and a var folder of the test's own, as ``HEALTHCODE_*`` variables."""
    monkeypatch.setenv("HEALTHCODE_ENV", "test")
    monkeypatch.setenv("HEALTHCODE_DATABASE_URL", database_url)
    monkeypatch.setenv("HEALTHCODE_VAR_DIR", str(tmp_path / "var"))
    return Settings()
