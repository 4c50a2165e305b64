"""The "Bulk Actions" admin page (``/admin/bulk``): bulks, their progress and failures, and retry.

Server-rendered with Jinja2 on the same status services as the REST API
(``commerce_async.operations.status``); signed in with an admin user's password through the same
lockout as the admin token route; live through a small session-authenticated JSON endpoint that the
page polls. No asset comes from the network: the stylesheet and script are served from here.
"""

from __future__ import annotations

from commerce_async.admin.pages import mount

__all__ = ["mount"]
