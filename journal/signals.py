"""What the journal announces to the apps built on it. The journal imports none of them: they listen."""

from django.dispatch import Signal

# An entry was saved with crisis language it did not have before; sent with `entry` inside the transaction that
# saves it, so what a receiver writes commits, or rolls back, with the entry.
crisis_language_written = Signal()

# An entry was created or changed (its text, date or sharing); sent with `entry_id` and the owner's `tier` once the
# change is committed. A deleted entry takes what other apps keep of it along by its foreign keys.
entry_saved = Signal()
