"""Build submissions the way ODK Collect does: from the XForm's main instance, filled in and serialised."""

import uuid
from xml.etree import ElementTree as ET

JR_TEMPLATE = "{http://openrosa.org/javarosa}template"
XFORMS = "{http://www.w3.org/2002/xforms}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def main_instance(xform: bytes):
    """The primary instance's root element (the one without an id among the <instance>s)."""
    root = ET.fromstring(xform)  # noqa: S314 (our own XForm)
    for instance in root.iter(f"{XFORMS}instance"):
        if instance.get("id") is None:
            return instance[0]
    raise AssertionError("no main instance")


def _build(proto, answers: dict):
    element = ET.Element(_local(proto.tag), {k: v for k, v in proto.attrib.items() if k in ("id", "version")})
    repeats = set()
    for child in proto:
        name = _local(child.tag)
        if child.get(JR_TEMPLATE) is not None:
            repeats.add(name)
            for row in answers.get(name, []):
                element.append(_build(child, row))
        elif name in repeats:
            continue  # the first instance pyxform adds after the template: Collect sends only real ones
        elif len(child):
            element.append(_build(child, answers))
        else:
            value = answers.get(name, child.text or "")
            ET.SubElement(element, name).text = str(value) if value is not None else ""
    return element


def build_submission(xform: bytes, answers: dict, *, instance_id: str | None = None) -> bytes:
    answers = {"instanceID": instance_id or f"uuid:{uuid.uuid4()}", **answers}
    root = _build(main_instance(xform), answers)
    return b"<?xml version='1.0' ?>" + ET.tostring(root, encoding="utf-8")


def instance_id_of(xml: bytes) -> str:
    return ET.fromstring(xml).find("meta/instanceID").text  # noqa: S314 (built by the test)
