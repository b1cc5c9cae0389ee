"""manage.py prepare_models: the enabled local models' weights are made ready before anyone asks."""

from io import StringIO

import pytest
from django.core.management import call_command

from meditrack.testing.factories import model

pytestmark = pytest.mark.django_db


def test_it_prepares_each_enabled_local_model_and_says_which_cannot_be_had(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDITRACK_MODEL_CACHE", str(tmp_path))
    from meditrack.inference.models import AIModel

    AIModel.objects.all().delete()
    model("whisper", task="asr", backend="local", model_id="pkg:whisper-tiny.en")
    model("minilm", task="embedding", backend="local", model_id="pkg:all-minilm-l6-v2")
    model("gemma-off", backend="local", model_id="pkg:gemma3-270m", enabled=False)
    model("missing", backend="local", model_id=str(tmp_path / "no-such-folder"))
    model("remote", backend="openai_compatible")
    out, err = StringIO(), StringIO()

    call_command("prepare_models", stdout=out, stderr=err)

    ready = sorted(line.split(":")[0] for line in out.getvalue().splitlines())
    assert ready == ["minilm", "whisper"]
    assert err.getvalue().startswith("missing: not available here")
    assert not (tmp_path / "gemma3-270m").exists()  # a disabled model is not converted
