"""Model fields for identity data: encrypted at rest, with keyed hashes for exact look-ups."""

from django.core import checks
from django.db import models

from sentinelle.core import crypto


class EncryptedTextField(models.TextField):
    """Stores AES-GCM ciphertext; Python code only ever sees the plaintext.

    Only `isnull` can be queried: the same value encrypts differently every time.
    Use a KeyedHashField beside it for exact look-ups.
    """

    encrypted = True

    def context(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value, context=self.context())

    def to_python(self, value):
        if crypto.is_ciphertext(value):
            return crypto.decrypt(value, context=self.context())
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "" or crypto.is_ciphertext(value):
            return value
        return crypto.encrypt(value, context=self.context())

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.db_index or self.unique:
            errors.append(
                checks.Error("An encrypted field cannot be indexed or unique.", obj=self, id="core.E101")
            )
        return errors


class KeyedHashField(models.CharField):
    """HMAC of another field's normalised value, computed on every save."""

    def __init__(self, *args, source: str, kind: str = "text", **kwargs):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["kind"] = self.kind
        return name, path, args, kwargs

    def compute(self, instance) -> str:
        return crypto.keyed_hash(getattr(instance, self.source), kind=self.kind)

    def pre_save(self, model_instance, add):
        value = self.compute(model_instance)
        setattr(model_instance, self.attname, value)
        return value


def encrypted_fields(model) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def keyed_hash_fields(model) -> list[KeyedHashField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, KeyedHashField)]
