"""Pure computation imports nothing from Django (nor DRF, Celery or Channels), so it is tested and benchmarked
alone: every module the README and its own docstring call pure, imported in a fresh interpreter."""

import subprocess
import sys

from meditrack import procfile

PURE = [
    "assistant.chunking",
    "assistant.document_files",
    "assistant.extractive",
    "assistant.grounding",
    "assistant.streams",
    "journal.insights",  # and every module in it
    "meditrack.dateranges",
    "meditrack.embedded",
    "meditrack.procfile",
    "meditrack.patients.adherence",
    "meditrack.patients.thresholds",
    "meditrack.reports.factcheck",
    "meditrack.reports.facts",
    "meditrack.reports.narrative",
    "meditrack.inference.analyser",
    "meditrack.inference.backends",
    "meditrack.inference.backends.builtin",
    "meditrack.inference.backends.local",
    "meditrack.inference.backends.local_weights",
    "meditrack.inference.backends.remote",
    "meditrack.inference.chunking",
    "meditrack.inference.errors",
    "meditrack.inference.guards",
    "meditrack.inference.prompts",
    "meditrack.inference.resilience",
    "meditrack.inference.streaming",
    "meditrack.inference.types",
    "meditrack.testing.model_server",  # bench/chat_stream.py runs it without Django
    "meditrack.testing.tiny_models",
    "speech.audio",
    "speech.phonemes",
    "speech.pronunciation",
    "speech.srs",
]

# The project package's __init__ starts the Celery app (Django's convention); a pure module's own imports are what
# is checked, so the package is entered without it.
CHECK = """
import importlib, pkgutil, sys, types
project = types.ModuleType("meditrack")
project.__path__ = ["meditrack"]
sys.modules["meditrack"] = project
names = sys.argv[1:]
for name in list(names):
    module = importlib.import_module(name)
    if hasattr(module, "__path__"):
        names += [info.name for info in pkgutil.iter_modules(module.__path__, f"{name}.")]
for name in names:
    importlib.import_module(name)
    loaded = sorted({m.split(".")[0] for m in sys.modules} & {"django", "rest_framework", "celery", "channels"})
    if loaded:
        raise SystemExit(f"importing {name} imports {', '.join(loaded)}")
"""


def test_the_pure_modules_import_nothing_from_django():
    result = subprocess.run([sys.executable, "-c", CHECK, *PURE], cwd=procfile.ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr or result.stdout
