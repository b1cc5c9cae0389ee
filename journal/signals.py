"""What the journal announces to the apps built on it. The journal imports none of them: they listen."""

from django.dispatch import Signal

# An entry was saved with crisis language it did not have before; sent with `entry` inside the transaction that
# saves it, so what a receiver writes commits, or rolls back, with the entry.
crisis_language_written = Signal()
