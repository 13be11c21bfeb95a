"""The offline app is light (issue 19: shell, scripts and styles under 150 KB compressed) and keeps to the
CSP (same-origin files only, no inline script or style), and every text its scripts show is translated in
the shell page."""

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

BUDGET = 150 * 1024
SCRIPTS = Path(settings.BASE_DIR) / "static" / "offline"


class Shell(HTMLParser):
    """The files the shell loads and names for the service worker, and what the CSP would refuse."""

    def __init__(self):
        super().__init__()
        self.files, self.inline, self.texts = set(), [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs or tag == "style":
            self.inline.append(tag)
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.inline.append("script")
        if tag == "script" and attrs.get("src"):
            self.files.add(attrs["src"])
        if tag == "link" and attrs.get("rel") == "stylesheet":
            self.files.add(attrs["href"])
        if attrs.get("data-precache"):
            self.files.update(attrs["data-precache"].split())
        if attrs.get("data-k"):
            self.texts.add(attrs["data-k"])


def shell(client, user) -> tuple[bytes, Shell]:
    client.force_login(user)
    response = client.get("/hors-ligne/")
    assert response.status_code == 200
    parsed = Shell()
    parsed.feed(response.content.decode())
    return response.content, parsed


def test_shell_scripts_and_styles_are_under_150_kb_compressed(signed_in, caseworker_in_area):
    client = signed_in(caseworker_in_area)
    html, parsed = shell(client, caseworker_in_area)
    sizes = {"/hors-ligne/": (len(html), len(gzip.compress(html)))}
    for url in sorted(parsed.files):
        if not url.startswith(settings.STATIC_URL) and not url.startswith("/" + settings.STATIC_URL):
            continue  # the manifest: a view, a few hundred bytes
        name = url.split(settings.STATIC_URL, 1)[1]
        data = Path(finders.find(name)).read_bytes()
        sizes[url] = (len(data), len(gzip.compress(data)))
    worker = (SCRIPTS / "sw.js").read_bytes()
    sizes["/hors-ligne/sw.js"] = (len(worker), len(gzip.compress(worker)))
    assert any(url.endswith("offline/app.js") for url in sizes)
    for module in SCRIPTS.glob("*.js"):  # every module the app imports is named for the service worker
        assert module.name == "sw.js" or any(url.endswith(f"offline/{module.name}") for url in sizes), module
    raw, compressed = (sum(size[index] for size in sizes.values()) for index in (0, 1))
    print(
        "\noffline bundle: "
        + ", ".join(f"{url} {gz / 1024:.1f}" for url, (_, gz) in sizes.items())
        + f"\ntotal {raw / 1024:.1f} KB, {compressed / 1024:.1f} KB gzip"
    )
    assert compressed < BUDGET


def test_the_shell_keeps_to_the_csp_and_loads_only_same_origin_files(signed_in, caseworker_in_area):
    html, parsed = shell(signed_in(caseworker_in_area), caseworker_in_area)
    assert parsed.inline == []
    assert all(url.startswith("/") and not url.startswith("//") for url in parsed.files), parsed.files
    worker = (SCRIPTS / "sw.js").read_text()
    for source in [worker, *(path.read_text() for path in SCRIPTS.glob("*.js"))]:
        assert "http://" not in source and "https://" not in source
        assert "eval(" not in source and "new Function" not in source
    assert caseworker_in_area.username.encode() not in html  # the cached shell holds nobody's name


def test_every_text_of_the_scripts_is_translated_in_the_shell(signed_in, caseworker_in_area):
    _html, parsed = shell(signed_in(caseworker_in_area), caseworker_in_area)
    used = set()
    for path in SCRIPTS.glob("*.js"):
        source = path.read_text()
        used.update(match.replace('\\"', '"') for match in re.findall(r'\bt\(\s*"((?:[^"\\]|\\.)*)"', source))
        # The texts of the tables the scripts give to t() by key (codes such as "warn" are not texts).
        for block in re.findall(r"(?:FALLBACK|STATES|WIPED|FORM_TITLES) = \{(.*?)\};", source, re.S):
            used.update(
                text for text in re.findall(r'"((?:[^"\\]|\\.)*)"', block) if not re.match(r"^[a-z_]+$", text)
            )
    assert used - parsed.texts == set()
