"""XLSForm -> XForm with pyxform, cached per form version, and the OpenRosa formList document.

Converting the ~760 area choices takes a noticeable fraction of a second, so the XForm is cached under
(form id, version): a new version (new areas, new translations) is a new cache key, and an old entry
simply expires. The workbook converted is the very file users download, so both always agree.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from django.core.cache import cache
from pyxform.xls2xform import convert

from .xlsform import FormDefinition

FORMLIST_NS = "http://openrosa.org/xforms/xformsList"
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class XForm:
    form_id: str
    version: str
    title: str
    xml: bytes

    @property
    def md5(self) -> str:
        return hashlib.md5(self.xml, usedforsecurity=False).hexdigest()


class ConversionError(Exception):
    pass


def convert_definition(definition: FormDefinition) -> tuple[bytes, list[str]]:
    """The XForm bytes of a form and pyxform's warnings; ConversionError with pyxform's message."""
    warnings: list[str] = []
    try:
        result = convert(
            io.BytesIO(definition.xlsx()), warnings=warnings, file_type=".xlsx", form_name="data"
        )
    except Exception as error:  # pyxform raises PyXFormError and a few others for a bad definition
        raise ConversionError(f"{definition.form_id}: {error}") from error
    return result.xform.encode("utf-8"), [*warnings, *result.warnings]


def xform_for(definition: FormDefinition) -> XForm:
    key = f"openrosa:xform:{definition.form_id}:{definition.version}"
    xml = cache.get(key)
    if xml is None:
        xml, _warnings = convert_definition(definition)
        cache.set(key, xml, CACHE_SECONDS)
    return XForm(definition.form_id, definition.version, definition.title, xml)


def form_list_xml(entries: list[tuple[XForm, str]]) -> bytes:
    """<xforms> with one <xform> per (form, absolute download URL), as the OpenRosa formList spec says."""
    ET.register_namespace("", FORMLIST_NS)
    root = ET.Element(f"{{{FORMLIST_NS}}}xforms")
    for xform, download_url in entries:
        item = ET.SubElement(root, f"{{{FORMLIST_NS}}}xform")
        for tag, text in (
            ("formID", xform.form_id),
            ("name", xform.title),
            ("version", xform.version),
            ("hash", f"md5:{xform.md5}"),
            ("downloadUrl", download_url),
        ):
            ET.SubElement(item, f"{{{FORMLIST_NS}}}{tag}").text = text
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
