from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='analysisreport',
            name='time_zone',
            # Reports written before the field were computed over UTC days: the default says so.
            field=models.CharField(default='UTC', max_length=64),
        ),
    ]
