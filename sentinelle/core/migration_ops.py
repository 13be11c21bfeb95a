"""Migration operations for large tables, so that an upgrade never locks out the field for long.

`AddIndexOnline`: on PostgreSQL, CREATE INDEX CONCURRENTLY (writes go on while the index builds; the
migration must say `atomic = False`, as PostgreSQL refuses it inside a transaction); elsewhere (SQLite,
the development and test database) a plain CREATE INDEX. If the build is interrupted, PostgreSQL leaves
an INVALID index behind: the operation drops it first, so running `migrate` again resumes cleanly.
"""

from django.db.migrations.operations import AddIndex


class AddIndexOnline(AddIndex):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor != "postgresql":
            schema_editor.add_index(model, self.index)
            return
        if schema_editor.connection.in_atomic_block:
            raise ValueError("AddIndexOnline needs a migration with atomic = False on PostgreSQL.")
        # A build interrupted earlier left an invalid index of this name: drop it, build it again.
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{self.index.name}"')
        schema_editor.add_index(model, self.index, concurrently=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql" and not schema_editor.connection.in_atomic_block:
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)

    def describe(self):
        return f"Create index {self.index.name} on {self.model_name} (concurrently on PostgreSQL)"
