from django.db import migrations
from pgvector.django import VectorExtension


class Migration(migrations.Migration):
    """Embeddings (retrieval, journal themes) live in pgvector columns; the extension comes first."""

    dependencies = []
    operations = [VectorExtension()]
