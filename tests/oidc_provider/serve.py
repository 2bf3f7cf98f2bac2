"""Run the test OpenID Connect provider: python -m tests.oidc_provider.serve PORT DB_PATH CONFIG_JSON.

CONFIG_JSON lists the people ({"username", "email", "first_name", "last_name",
"password"}) and the client applications ({"client_id", "secret",
"redirect_uris", "skip_authorization", and "id_token_nonce" to make its id_tokens carry
a wrong nonce, or none with "missing") to create before serving.
"""

import json
import os
import sys


def main() -> None:
    port, db_path, config = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
    os.environ["OIDC_PROVIDER_DB"] = db_path
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    os.environ["OIDC_PROVIDER_NONCES"] = json.dumps(
        {app["client_id"]: app["id_token_nonce"] for app in config["applications"] if app.get("id_token_nonce")}
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for person in config["people"]:
        password = person.pop("password")
        user = get_user_model().objects.create(**person)
        user.set_password(password)
        user.save()
    for app in config["applications"]:
        Application.objects.create(
            name=app["client_id"],
            client_id=app["client_id"],
            client_secret=app["secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(app["redirect_uris"]),
            skip_authorization=app.get("skip_authorization", True),
            algorithm=Application.RS256_ALGORITHM,
        )
    print("ready", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), ipv6=False, threading=True, server_cls=WSGIServer)


if __name__ == "__main__":
    main()
