"""No Docker engine here: docker-compose.yml and the Procfile are kept honest by reading them."""

import importlib
import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def named_module(command: list[str]) -> str:
    """The Python module a service command starts: daphne's `mod:app` or celery's `--app mod`."""
    if command[0] == "daphne":
        return command[-1].split(":")[0]
    if command[0] == "celery":
        return command[command.index("--app") + 1]
    if command[:2] == ["python", "manage.py"]:
        return "manage"
    raise AssertionError(f"unexpected command {command}")


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_compose_service_has_a_healthcheck_and_a_real_module():
    services = compose()["services"]
    assert {"db", "redis", "web", "worker-cpu", "worker-gpu", "beat"} <= set(services)
    for name, service in services.items():
        assert "healthcheck" in service, name
        if "build" in service:  # our image; db and redis run their own
            command = service["command"]
            module = named_module(shlex.split(command) if isinstance(command, str) else command)
            importlib.import_module(module)


def test_the_gpu_worker_reserves_a_gpu_and_takes_only_the_gpu_queue():
    gpu = compose()["services"]["worker-gpu"]
    command = gpu["command"] if isinstance(gpu["command"], list) else shlex.split(gpu["command"])
    assert command[command.index("--queues") + 1] == "gpu"
    assert command[command.index("--pool") + 1] in ("solo", "threads")
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["capabilities"] == ["gpu"]


def test_the_compose_database_image_has_pgvector_and_postgres_16():
    assert re.match(r"pgvector/pgvector:0\.\d+\.\d+-pg16", compose()["services"]["db"]["image"])


def test_every_procfile_process_names_a_real_module():
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip():
            _, command = line.split(":", 1)
            importlib.import_module(named_module(shlex.split(command)))
