"""The dependency rule of DESIGN.md: ``domain`` imports nothing of the web, ORM or storage."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "healthcode"
FORBIDDEN_IN_DOMAIN = ("litestar", "sqlalchemy", "alembic", "jinja2", "granian", "typer", "healthcode.")
ALLOWED_OURS = ("healthcode.domain",)


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_is_pure() -> None:
    offenders = {}
    for path in (SRC / "domain").rglob("*.py"):
        bad = {
            name
            for name in imports_of(path)
            if name.startswith(FORBIDDEN_IN_DOMAIN) and not name.startswith(ALLOWED_OURS)
        }
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_check_itself_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from sqlalchemy import select\nimport healthcode.db.models\n")
    assert imports_of(sample) == {"sqlalchemy", "healthcode.db.models"}


def test_features_do_not_import_the_web_layer() -> None:
    """Services stay usable from the CLI and jobs: only pages and api modules may touch the kit
    (``kit``) or litestar."""
    offenders = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        if relative.parts[0] in {"web", "kit", "cli"} or path.name in {"api.py", "pages.py"}:
            continue
        if any(name.startswith(("healthcode.web", "healthcode.kit", "litestar")) for name in imports_of(path)):
            offenders.append(str(relative))
    assert offenders == []


def test_the_assembly_sits_above_the_features_and_the_kit_below_them() -> None:
    """``web`` (the app, feature discovery, the job loop) is imported only by the CLI; the kit
    imports neither ``web`` nor any feature that has pages or an API."""
    with_routes = {
        path.parent.relative_to(SRC).parts[0]
        for path in SRC.rglob("*.py")
        if path.name in {"api.py", "pages.py"} and path.parent.relative_to(SRC).parts[0] not in {"web", "kit"}
    }
    assert {"codes", "cards", "statistics"} <= with_routes
    above = []
    below = []
    for path in SRC.rglob("*.py"):
        relative = path.relative_to(SRC)
        names = imports_of(path)
        if relative.parts[0] not in {"web", "cli"} and any(name.startswith("healthcode.web") for name in names):
            above.append(str(relative))
        if relative.parts[0] == "kit":
            below += [
                f"{relative}: {name}"
                for name in names
                if name.startswith("healthcode.") and name.split(".")[1] in with_routes | {"web"}
            ]
    assert above == []
    assert below == []


def test_one_runtime_is_built_by_the_app_and_the_cli_alike() -> None:
    """Engines, the lean read path and the features' runtimes are made in one place,
    ``web/runtime.py``, which ``create_app``, every CLI command and ``healthcode worker`` build
    from (the migrations' own engine aside)."""
    makers = ("make_engine", "lean_reads", "make_runtime", "Jobs")
    calls: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in makers:
                    calls.setdefault(name, set()).add(str(path.relative_to(SRC)))
    assert calls.pop("make_engine") == {"web/runtime.py", "db/migrations/env.py"}
    assert calls == {"lean_reads": {"web/runtime.py"}, "Jobs": {"web/runtime.py"}}
    builders = {str(path.relative_to(SRC)) for path in SRC.rglob("*.py") if "build_runtime(" in path.read_text()}
    assert builders == {"web/runtime.py", "web/app.py", "cli/runtime.py", "cli/main.py"}
