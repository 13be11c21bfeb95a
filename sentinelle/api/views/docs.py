"""The OpenAPI 3 schema and a server-rendered page that reads it (no JavaScript, no CDN: the CSP allows
neither). Both are public: the schema describes the endpoints, parameters and code lists, never data;
every endpoint it describes still requires a token."""

from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView

from sentinelle.api.permissions import DeclaredAccess
from sentinelle.core.permissions import PUBLIC, public


class SchemaView(DeclaredAccess, SpectacularAPIView):
    """GET /api/v1/schema/ (YAML by default, ?format=json for JSON)."""

    required_perm = PUBLIC
    authentication_classes = []


def _operations(schema: dict) -> list[dict]:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "id": operation.get("operationId", ""),
                    **_description(operation.get("description", "")),
                    "parameters": [
                        {
                            "name": p.get("name"),
                            "in": p.get("in"),
                            "required": p.get("required", False),
                            "type": (p.get("schema") or {}).get("type", ""),
                            "enum": (p.get("schema") or {}).get("enum")
                            or ((p.get("schema") or {}).get("items") or {}).get("enum"),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                }
            )
    return operations


def _description(text: str) -> dict:
    """The description as paragraphs, and its Markdown table (the statistics' datasets) as rows of cells,
    so that the page wraps to the screen instead of keeping the table's long lines."""
    paragraphs, rows = [], []
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        table = [line for line in lines if line.startswith("|")]
        rows += [
            [cell.strip().strip("`") for cell in line.strip("|").split("|")]
            for line in table
            if not set(line) <= set("|-: ")
        ]
        prose = " ".join(line for line in lines if not line.startswith("|"))
        if prose:
            paragraphs.append(prose)
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    # Each cell with its column's name, which a phone shows in front of it (the header row is hidden there).
    table = [list(zip(header, row, strict=False)) for row in body]
    return {"paragraphs": paragraphs, "header": header, "table": table}


@public
def docs(request):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    context = {"info": schema.get("info", {}), "operations": _operations(schema)}
    return render(request, "api/docs.html", context)
