"""Regenerate .env.example and the settings table of README.md from ``config.Settings``.

Run after adding a setting: ``.venv/bin/python scripts/settings_doc.py``. ``tests/unit/test_config.py``
fails while either file lags behind the settings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from healthcode.config import Settings

ROOT = Path(__file__).resolve().parents[1]
HEADER = [
    "# Every setting of the platform with its default; set them as environment variables.",
    "# In prod the secrets (SECRET_KEY, AUDIT_KEY, INDEX_KEY, DATA_KEYS, CARD_KEY) and DATABASE_URL are required.",
    "",
]


def rendered_default(name: str) -> str:
    field = Settings.model_fields[name]
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if isinstance(value, list):
        return json.dumps([str(v) for v in value], ensure_ascii=False)
    if isinstance(value, dict):  # written as the environment variable takes it: JSON
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def main() -> None:
    env_lines, rows = list(HEADER), []
    for name, field in Settings.model_fields.items():
        variable, default = f"HEALTHCODE_{name.upper()}", rendered_default(name)
        env_lines += [f"# {field.description}", f"# {variable}={default}", ""]
        rows.append(f"| `{variable}` | {f'`{default}`' if default else '(empty)'} | {field.description} |")
    (ROOT / ".env.example").write_text("\n".join(env_lines))
    readme = (ROOT / "README.md").read_text()
    table = "| variable | default | meaning |\n|---|---|---|\n" + "\n".join(rows) + "\n"
    readme = re.sub(r"\| variable \| default \| meaning \|\n(\|.*\|\n)+", table, readme)
    (ROOT / "README.md").write_text(readme)


if __name__ == "__main__":
    main()
