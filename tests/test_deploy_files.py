"""deploy/ is consistent with the service and valid for the tools that read it: systemd
verifies the units, every setting is in the env file, the YAML parses and names only
settings the service has. (nginx and Redis are run for real in test_deploy_nginx.py.)"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.server import ROOT, daphne_command

DEPLOY = ROOT / "deploy"
SYSTEMD = DEPLOY / "systemd"


def documented_settings() -> set[str]:
    """Every environment variable docs/configuration.md describes, but the Makefile's."""
    text = (ROOT / "docs" / "configuration.md").read_text()
    names = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", text, re.MULTILINE))
    return names - {"TEST_DATABASE_URL", "TEST_REDIS_URL", "PYTEST_ARGS", "HOST", "PYTHON"}


def settings_read_by_the_code() -> set[str]:
    """Every name chatservice/settings.py reads through the env helpers."""
    text = (ROOT / "chatservice" / "settings.py").read_text()
    return set(re.findall(r"env(?:str|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]+)\"", text))


def test_every_setting_the_code_reads_is_documented_and_in_the_env_file() -> None:
    read = settings_read_by_the_code()
    documented = documented_settings()
    assert read - documented == set(), "settings without documentation"
    env_file = (DEPLOY / "env.example").read_text()
    in_file = {m.removesuffix("_FILE") for m in re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", env_file, re.MULTILINE)}
    assert documented - in_file == set(), "settings missing from deploy/env.example"
    assert in_file - documented == set(), "deploy/env.example sets what the service does not read"


def test_the_daphne_unit_writes_no_address_and_trusts_only_the_proxy() -> None:
    command = daphne_command()
    assert command[0].endswith("/daphne")
    assert command[command.index("-v") + 1] == "0"  # no connect/disconnect lines with addresses
    assert "--access-log" not in command
    assert "--proxy-headers" in command
    assert command[command.index("-b") + 1] == "127.0.0.1"  # only nginx reaches it
    assert command[command.index("-p") + 1] == "%i"
    unit = (SYSTEMD / "chatservice@.service").read_text()
    for hardening in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "LimitCORE=0"):
        assert f"\n{hardening}\n" in unit


def test_systemd_verifies_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` in a root that has the paths the units name: copies of
    this checkout's daphne and python where the units expect /opt/chatservice/venv
    (a symlink would point outside that root)."""
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is part of Debian's systemd package"
    root = tmp_path / "root"
    venv_bin = root / "opt" / "chatservice" / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    for name in ("daphne", "python"):
        shutil.copy((Path(sys.executable).parent / name).resolve(), venv_bin / name)
    (root / "opt" / "chatservice" / "app").mkdir()
    (root / "etc" / "chatservice").mkdir(parents=True)
    (root / "etc" / "chatservice" / "env").write_text((DEPLOY / "env.example").read_text())
    units = root / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    for unit in SYSTEMD.iterdir():
        shutil.copy(unit, units / unit.name)
    (root / "usr" / "lib" / "systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    names = ["chatservice@8001.service", "chatservice.target", "chatservice-sweep.service", "chatservice-sweep.timer"]
    result = subprocess.run([analyze, "verify", f"--root={root}", *names], capture_output=True, text=True)
    # Any output is a finding (an unknown key is only a warning, with exit code 0).
    assert result.returncode == 0 and (result.stdout + result.stderr).strip() == "", result.stderr


def yaml_documents() -> list[tuple[Path, Any]]:
    docs = []
    for path in sorted([*DEPLOY.rglob("*.yaml"), *DEPLOY.rglob("*.yml")]):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc is not None:
                docs.append((path, doc))
    return docs


def test_the_compose_file_and_the_manifests_parse() -> None:
    docs = yaml_documents()
    assert any(p.parent.name == "kubernetes" for p, _ in docs), "no Kubernetes manifests"
    assert any(p.name == "compose.yaml" for p, _ in docs), "no compose file"
    kinds = set()
    for path, doc in docs:
        if path.parent.name == "kubernetes" and path.name != "kustomization.yaml":
            assert {"apiVersion", "kind", "metadata"} <= doc.keys(), path.name
            assert doc["metadata"].get("name"), path.name
            kinds.add(doc["kind"])
    assert {"Deployment", "Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds


def app_environment(docs: list[tuple[Path, Any]]) -> set[str]:
    """Names the compose file and the manifests give the service's own containers."""
    names: set[str] = set()
    for path, doc in docs:
        if path.name == "compose.yaml":
            for service in doc["services"].values():
                if "build" in service or "nexus-chat" in str(service.get("image", "")):
                    env = service.get("environment") or {}
                    names |= set(env) if isinstance(env, dict) else {e.split("=")[0] for e in env}
        elif doc.get("kind") == "ConfigMap":
            names |= set(doc.get("data", {}))
        elif doc.get("kind") in ("Deployment", "Job", "CronJob"):
            text = yaml.safe_dump(doc)
            if "nexus-chat" in text:
                names |= set(re.findall(r"- name: ([A-Z][A-Z0-9_]+)\n\s+value", text))
                names |= set(re.findall(r"- name: ([A-Z][A-Z0-9_]+)\n\s+valueFrom", text))
    return names


def test_the_containers_are_given_only_settings_the_service_reads() -> None:
    known = documented_settings()
    given = app_environment(yaml_documents())
    assert given, "found no settings for the service's containers"
    unknown = {n for n in given if n.removesuffix("_FILE") not in known and n not in {"PYTHONUNBUFFERED"}}
    assert unknown == set()


@pytest.mark.parametrize("path", ["/health/live", "/health/ready"])
def test_the_probes_name_real_endpoints(path: str) -> None:
    from django.urls import resolve

    resolve(path)  # raises if the manifests probe a path the service does not have
    manifests = (DEPLOY / "kubernetes" / "deployment.yaml").read_text()
    assert path in manifests
