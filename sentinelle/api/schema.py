"""drf-spectacular: how the schema describes the token authentication, and its descriptions in the
reader's language (issue 15, item 13).

drf-spectacular describes an operation by its view's docstring, which gettext never sees. A view that sets
`api_description` (a gettext_lazy text) is described by it instead, so the schema and the documentation
page read French in the French interface (the active language, or the schema's `?lang=`).
"""

from django.utils.translation import gettext
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "sentinelle.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": gettext(
                'Personal token, sent as "Authorization: Token <token>" (or "Bearer <token>").'
            ),
        }


class DescribedAutoSchema(AutoSchema):
    def get_description(self) -> str:
        text = getattr(self.view, "api_description", None)
        return str(text) if text else super().get_description()
