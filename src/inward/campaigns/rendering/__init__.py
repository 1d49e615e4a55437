"""Message rendering: variants compiled once, rendered per reader, built into e-mails.

- ``compile_variant`` / ``CompiledVariant.render`` — Markdown and Jinja2 to HTML and text.
- ``message_context`` / ``message_context_from_row`` — the whitelisted values per reader.
- ``EmailSkeleton`` — the MIME bytes of an e-mail, most of them prepared once.
- ``message_check`` — reading ease, calls to action, "you", what's-in-it-for-me.
- ``variant_for`` (from ``campaigns.variants``) — which variant a reader gets.
"""

from inward.campaigns.rendering.check import MessageCheck, message_check
from inward.campaigns.rendering.compile import (
    CompiledVariant,
    LinkWrapper,
    RenderedMessage,
    compile_variant,
)
from inward.campaigns.rendering.context import (
    ALLOWED_VARIABLES,
    ROW_FIELDS,
    MessageContext,
    message_context,
    message_context_from_row,
)
from inward.campaigns.rendering.limits import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from inward.campaigns.rendering.mime import EmailSkeleton, email_html_document
from inward.campaigns.rendering.problems import TemplateProblem
from inward.campaigns.variants import variant_for

__all__ = [
    "ALLOWED_VARIABLES",
    "MAX_BODY_LENGTH",
    "MAX_SUBJECT_LENGTH",
    "ROW_FIELDS",
    "CompiledVariant",
    "EmailSkeleton",
    "LinkWrapper",
    "MessageCheck",
    "MessageContext",
    "RenderedMessage",
    "TemplateProblem",
    "compile_variant",
    "email_html_document",
    "message_check",
    "message_context",
    "message_context_from_row",
    "variant_for",
]
