"""A real OpenID Connect provider for the single sign-on tests: a small Django project on django-oauth-toolkit.

`serve.py` runs it in a process of its own, with its own SQLite database, on a
local port; Baton talks to it over HTTP exactly as to Google Workspace, Entra
ID or Okta (discovery, authorization code with PKCE, token, userinfo, JWKS).
"""
