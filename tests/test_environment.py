"""The project's setup files agree with each other and with the README."""
import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}


def _name(req: str) -> str:
    return re.split(r"[<>=!~ \[;]", req.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _spec(req: str) -> str:
    name = _name(req)
    return req.strip()[len(name):].replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"].get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return {_name(r): _spec(r) for r in reqs}


def environment_requirements() -> dict[str, str]:
    """Parse environment.yml's dependency list (conda and pip entries) without a YAML library."""
    found: dict[str, str] = {}
    pip_extras: list[str] = []
    in_deps = in_pip = False
    for raw in (ROOT / "environment.yml").read_text().splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line:
            continue
        if not raw.startswith(" "):
            in_deps = line.startswith("dependencies:")
            in_pip = False
            continue
        if not in_deps:
            continue
        item = line.strip()
        if item.startswith("- pip:"):
            in_pip = True
            continue
        if item.startswith("- "):
            value = item[2:].strip()
            if in_pip and raw.startswith("      "):
                pip_extras.append(value)
                continue
            in_pip = False
            name = _name(value)
            if name in ("python", "pip"):
                continue
            found[CONDA_TO_PIP.get(name, name)] = _spec(value)
    for value in pip_extras:
        if value.startswith("-e"):
            continue
        found[_name(value)] = _spec(value)
    found["__pip_entries__"] = ",".join(pip_extras)
    return found


def test_environment_yml_lists_the_same_packages_as_pyproject():
    env = environment_requirements()
    pip_entries = env.pop("__pip_entries__")
    py = pyproject_requirements()
    assert sorted(env) == sorted(py), (
        f"only in environment.yml: {sorted(set(env) - set(py))}; only in pyproject.toml: {sorted(set(py) - set(env))}")
    for name, spec in py.items():
        assert env[name] == spec, f"{name}: pyproject says {spec!r}, environment.yml says {env[name]!r}"
    # Binder / repo2docker install the package itself only through the pip section
    assert "-e ." in pip_entries.split(",")


def test_requirements_are_ranges_not_pins():
    for name, spec in pyproject_requirements().items():
        assert spec, f"{name} has no version range"
        assert "==" not in spec, f"{name} is pinned exactly ({spec}); declare a range"


def test_torch_range_admits_the_cpu_build_the_setup_installs():
    from packaging.specifiers import SpecifierSet

    lab = (ROOT / "lab").read_text()
    pinned = re.search(r'ROPELAB_TORCH:-torch==([0-9.]+)', lab).group(1)
    assert pinned in SpecifierSet(pyproject_requirements()["torch"])


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("### ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", quick, flags=re.S)
    assert commands == ["./lab open", "./lab test"], commands
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec \./lab test\s*$", ci, flags=re.M), "CI must run the README's test command"


@pytest.mark.parametrize("word", ["open)", "test)", "regen)", "present)", "train)", "site)", "zh)"])
def test_lab_script_has_each_documented_command(word):
    assert word in (ROOT / "lab").read_text()


def test_every_notebook_is_listed_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"`{nb.stem}`" in readme, f"{nb.name} is missing from the README's notebook table"
