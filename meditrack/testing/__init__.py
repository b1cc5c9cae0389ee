"""The test kit every app's tests share: people and API clients, the model registry's rows, the loopback model
server, real Celery workers and the Procfile's processes, waiting for what a worker does, signing a websocket in,
reading an event stream.

It lives in the project package because it is what every app's tests stand on, as `meditrack/` is what every
product stands on: it uses the apps under `meditrack/` (accounts, patients, the inference registry) and no
product (journal, assistant). It is not a `tests/` folder: pytest collects nothing here but `tests/`, and the
root conftest.py registers the fixture modules for the whole tree, so each fixture has one definition and the
same name in every app. `model_server` and `tiny_models` import nothing from Django: benchmarks use them too.
"""
