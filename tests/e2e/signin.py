"""Signing in through the real sign-in page, as a person does, with the authenticator code when asked."""

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from tests.factories import TOTP_SECRET


def totp_code(secret: str = TOTP_SECRET) -> str:
    """Return the authenticator app's current code for `secret` (the factories' staff use TOTP_SECRET)."""
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def sign_in_through_page(page, base_url: str, username: str, password: str) -> None:
    """Fill the sign-in form; for someone with two-factor (staff), give the code too."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state("networkidle")
    if "/accounts/2fa/authenticate/" in page.url:
        page.get_by_label("Code").fill(totp_code())
        page.get_by_role("button", name="Sign In", exact=True).click()
        page.wait_for_load_state("networkidle")
