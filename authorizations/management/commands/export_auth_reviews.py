from authorizations.vba.filters import AuthReviewFilter
from authorizations.vba.transfer import AUTH_REVIEW_FILE
from config.records.commands import VBAExportCommand


class Command(VBAExportCommand):
    help = (
        "Write the reviews (AuthReview) of one VBA database, as GET /auth-reviews renders them plus their audit "
        "columns, to FILE or standard output as a JSON array, NDJSON or CSV, in key order (--filter authNumber=N: "
        "one Auth's reviews); upsert_auth_reviews reads the same files back."
    )
    resource = AUTH_REVIEW_FILE
    filterset_class = AuthReviewFilter
