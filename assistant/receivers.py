"""What the assistant does when the apps it reads from announce a change."""

from assistant import indexing


def journal_entry_saved(sender, *, entry_id: int, tier: str, **kwargs) -> None:
    indexing.entry_index_enqueue(entry_id=entry_id, tier=tier)
