"""No Docker engine here: docker-compose.yml and the Procfile are kept honest by reading them."""

import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def argv(command: str | list[str]) -> list[str]:
    """A command as the process sees it: `sh -c "exec …"` (for defaults from the environment) unwrapped."""
    command = shlex.split(command) if isinstance(command, str) else command
    if command[:2] == ["sh", "-c"]:
        command = shlex.split(command[2])
    return command[1:] if command[0] == "exec" else command


def with_defaults(command: list[str]) -> list[str]:
    """${NAME:-default} as the shell expands it when NAME is unset."""
    return [re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", part) for part in command]


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
    assert {"db", "redis", "web", "worker-io", "worker-cpu", "worker-gpu", "beat"} <= set(services)
    for name, service in services.items():
        assert "healthcheck" in service, name
        if "build" in service:  # our image; db and redis run their own
            importlib.import_module(named_module(argv(service["command"])))


def test_the_gpu_worker_reserves_a_gpu_and_takes_only_the_gpu_queue():
    gpu = compose()["services"]["worker-gpu"]
    command = argv(gpu["command"])
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
            importlib.import_module(named_module(argv(command)))


def procfile_workers() -> dict[str, list[str]]:
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    return {name: with_defaults(argv(command)) for name, command in lines.items() if "worker" in command}


def compose_workers() -> dict[str, list[str]]:
    # Compose writes a shell's $ as $$.
    return {name.removeprefix("worker-"): with_defaults(argv(service["command"].replace("$$", "$")
                                                             if isinstance(service["command"], str)
                                                             else [part.replace("$$", "$")
                                                                   for part in service["command"]]))
            for name, service in compose()["services"].items() if name.startswith("worker-")}


def test_remote_calls_wait_in_a_hundred_threads_of_their_own_in_both_files():
    for workers in (procfile_workers(), compose_workers()):
        queues = {name: command[command.index("--queues") + 1] for name, command in workers.items()}
        assert queues == {"io": "io", "cpu": "cpu", "gpu": "gpu"}
        io = workers["io"]
        assert io[io.index("--pool") + 1] == "threads"
        assert int(io[io.index("--concurrency") + 1]) >= 100
        assert workers["cpu"][workers["cpu"].index("--pool") + 1] == "prefork"


def test_the_image_leaves_out_secrets_the_local_database_and_history():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".env", "var/", ".git", ".venv/"} <= ignored
    assert "!.env.example" in ignored


def test_check_deploy_is_clean_with_the_compose_environment_alone():
    """HTTPS, secure cookies and HSTS are the compose file's default, not something .env must remember."""
    environment = {name: with_defaults([str(value)])[0] for name, value in compose()["x-app"]["environment"].items()}
    secrets = {"DJANGO_SECRET_KEY": "p" * 20 + "-production-secret-with-enough-entropy-0123456789",
               "DJANGO_ALLOWED_HOSTS": "meditrack.example.org"}
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env={**base, **environment, **secrets}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
