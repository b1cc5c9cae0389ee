import pytest

from meditrack.inference.errors import BadInput, ModelAuthError, ModelUnavailable, RateLimited
from meditrack.inference.resilience import CircuitOpen, RetryPolicy, call_with_retries, first_that_serves
from meditrack.inference.types import BackendName, ModelSpec, Task

_counter = iter(range(10_000))


def spec(name="m"):
    # A fresh slug per test: circuit breakers are per model and live for the process.
    return ModelSpec(slug=f"{name}-{next(_counter)}", task=Task.CHAT, backend=BackendName.OPENAI_COMPATIBLE,
                     model_id="x", base_url="http://127.0.0.1:9")


class Flaky:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "answer"


def test_it_retries_a_5xx_and_honours_the_wait_the_provider_asked_for():
    sleeps = []
    fn = Flaky(ModelUnavailable("loading", retry_after=2.0), ModelUnavailable("boom"))
    assert call_with_retries(spec(), fn, RetryPolicy(), sleep=sleeps.append) == "answer"
    assert fn.calls == 3
    assert 2.0 <= sleeps[0] <= 2.3  # estimated_time plus a little jitter
    assert 0 <= sleeps[1] <= 8.0


@pytest.mark.parametrize("error", [ModelAuthError("401"), BadInput("400")])
def test_it_never_retries_auth_or_bad_input(error):
    fn = Flaky(error)
    with pytest.raises(type(error)):
        call_with_retries(spec(), fn, RetryPolicy(), sleep=lambda s: None)
    assert fn.calls == 1


def test_a_wait_longer_than_the_policy_allows_is_not_sat_out():
    sleeps = []
    fn = Flaky(RateLimited("429", retry_after=60))
    with pytest.raises(RateLimited):
        call_with_retries(spec(), fn, RetryPolicy(max_wait_s=8), sleep=sleeps.append)
    assert fn.calls == 1 and sleeps == []


def test_the_circuit_opens_after_repeated_failures_and_then_fails_fast():
    s = spec()
    policy = RetryPolicy(attempts=1, breaker_fail_max=3, breaker_reset_s=60)
    for _ in range(3):
        with pytest.raises(ModelUnavailable):
            call_with_retries(s, Flaky(ModelUnavailable("down")), policy)
    fn = Flaky()
    with pytest.raises(CircuitOpen):
        call_with_retries(s, fn, policy)
    assert fn.calls == 0


def test_it_falls_back_to_the_next_model_and_reports_each():
    primary, fallback = spec("primary"), spec("fallback")
    reports = []

    def call(s):
        if s is primary:
            raise ModelUnavailable("down")
        return f"from {s.slug}"

    served, result = first_that_serves([primary, fallback], call, RetryPolicy(attempts=1),
                                       lambda s, outcome, secs: reports.append((s.slug, outcome)))
    assert served is fallback and result == f"from {fallback.slug}"
    assert reports == [(primary.slug, "model_unavailable"), (fallback.slug, "ok")]


def test_when_every_model_fails_the_primarys_error_names_it():
    primary, fallback = spec("primary"), spec("fallback")

    def call(s):
        raise ModelAuthError("bad token") if s is primary else ModelUnavailable("down")

    with pytest.raises(ModelAuthError) as caught:
        first_that_serves([primary, fallback], call, RetryPolicy(attempts=1), lambda *a: None)
    assert caught.value.model == primary.slug
    assert "1 fallback model(s) failed too" in str(caught.value)


def test_bad_input_does_not_fall_back():
    primary, fallback = spec(), spec()
    fn = Flaky(BadInput("too long"))
    with pytest.raises(BadInput):
        first_that_serves([primary, fallback], fn, RetryPolicy(), lambda *a: None)
    assert fn.calls == 1
