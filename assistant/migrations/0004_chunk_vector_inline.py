from django.db import migrations


class Migration(migrations.Migration):
    """Searches scan one owner's vectors exactly: the HNSW index goes (filtered after its search, it could
    return an owner fewer passages than asked), and vectors stay in the row instead of TOAST, where reading
    10,000 of them cost a lookup each (rows written before keep theirs until `manage.py reindex`)."""

    dependencies = [
        ("assistant", "0003_message_citations"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="chunk", name="chunk_embedding_hnsw"),
        migrations.RunSQL("ALTER TABLE assistant_chunk ALTER COLUMN embedding SET STORAGE PLAIN",
                          reverse_sql="ALTER TABLE assistant_chunk ALTER COLUMN embedding SET STORAGE EXTENDED"),
    ]
