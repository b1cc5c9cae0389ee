"""Every app's tests share one kit, meditrack/testing: its fixtures are registered here, for the whole tree."""

pytest_plugins = [
    "meditrack.testing.environment",
    "meditrack.testing.people",
    "meditrack.testing.registry",
    "meditrack.testing.workers",
]
