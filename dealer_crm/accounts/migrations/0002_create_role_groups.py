"""Create one group per role. Permissions are granted as their apps migrate (see roles.py)."""

from django.db import migrations


def create_role_groups(apps, schema_editor):
    from dealer_crm.accounts.roles import sync_role_permissions

    sync_role_permissions(group_model=apps.get_model("auth", "Group"),
                          permission_model=apps.get_model("auth", "Permission"))


def remove_role_groups(apps, schema_editor):
    from dealer_crm.accounts.roles import Role

    apps.get_model("auth", "Group").objects.filter(name__in=Role.values).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
