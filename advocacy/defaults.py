"""The default advocate role description, seeded by a data migration."""

DEFAULT_ROLE_NAME = "Default advocate role"

DEFAULT_TITLE = "Customer advocate"

DEFAULT_SUMMARY = (
    "For one term, you are the voice of our customers inside the team. You see the business "
    "through their eyes, work the hot-issue log worst first, and make sure that no customer is "
    "passed from desk to desk or dropped between two advocates."
)

DEFAULT_MANDATE = "\n".join(
    [
        "See everything through the customers' eyes: every process, message and decision.",
        "Question assumptions and norms — “we have always done it this way” is not a reason.",
        "Play devil's advocate in debates about customer experience, on purpose and openly.",
        "Ask the hard questions out loud, in the meeting, not afterwards in the corridor.",
    ]
)

DEFAULT_RESPONSIBILITIES = "\n".join(
    [
        "Work the hot-issue log every day, the most dissatisfied customers first.",
        "Reach out to angry or hostile customers yourself and record every attempt.",
        "Keep one named owner on every issue; stop the runaround between departments.",
        "Speak for the customer in planning meetings and decisions.",
        "Write a declaration of what you stand for at the start of your term.",
        "Write a handoff note for the next advocate so no customer is lost.",
        "Thank the colleagues who helped a customer.",
    ]
)

DEFAULT_QUALITIES = [
    "Understands the culture — knows that the company's own habits can work against customers.",
    "Committed, not compliant — acts from conviction rather than because it is their turn.",
    "Declares a stand — says publicly what they will stand for on behalf of customers.",
    "Believable — colleagues trust what they say about customers.",
    "Says thanks often — recognizes every colleague who helps a customer.",
    "Navigates bureaucracy — knows the goal, the approval path and the gatekeepers.",
    "Finds allies — builds support across departments.",
    "Has courage — raises uncomfortable truths.",
    "Paces themself — treats the term as a marathon, not a sprint.",
    "Engaged — present, curious and involved every day of the term.",
]


def ensure_default_role(role_model, version_model) -> None:
    """Create the default role description (version 1) unless a default exists.

    Takes the model classes so the data migration can pass its historical models.
    """
    if role_model.objects.filter(is_default=True).exists():
        return
    role = role_model.objects.create(name=DEFAULT_ROLE_NAME, is_default=True)
    version_model.objects.create(
        role=role,
        number=1,
        title=DEFAULT_TITLE,
        summary=DEFAULT_SUMMARY,
        mandate=DEFAULT_MANDATE,
        responsibilities=DEFAULT_RESPONSIBILITIES,
        qualities=DEFAULT_QUALITIES,
        change_note="Initial version",
    )
