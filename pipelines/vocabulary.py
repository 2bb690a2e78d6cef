"""The domain's words, written once: the source's enumerations and the Insights statuses.

The landing's validation, the simulator and the web page take them from here. dbt and Great
Expectations keep their own copies as data (seeds, `accepted_values`, suite value sets), and
`tests/test_vocabulary.py` checks every copy against this module.
"""

from __future__ import annotations

LINK_STATUSES = (
    "DRAFT", "INVITED", "ACTIVE", "INVITATION_REJECTED", "ACCESS_REJECTED", "ARCHIVED", "LOST",
)
VAT_FILING_FREQUENCIES = ("MONTHLY", "QUARTERLY", "ANNUAL", "NONE")
ROLES = ("ADMINISTRATOR", "CLIENT_MANAGER", "ACCOUNTANT")
ACCESS_LEVELS = ("EDIT", "VIEW")
CATEGORIES = (
    "SALES_INVOICE", "PURCHASE_INVOICE", "PURCHASE_RECEIPT", "ENRICHED_MOVEMENT_REPORT", "OTHER",
)
TOTAL_ONLY_CATEGORIES = ("OTHER",)  # outside the accounting flow: no status, a total only
DOCUMENT_TYPES = ("INVOICE", "CREDIT_NOTE", "RECEIPT", "BANK_STATEMENT", "OTHER")
INTAKE_CHANNELS = ("UPLOAD", "EMAIL", "PEPPOL", "MOBILE", "PLATFORM_NETWORK", "BANK_FEED")
ACCOUNTING_STATUSES = ("CLIENT_ACTION_NEEDED", "QUEUED", "READY_TO_PROCESS", "PROCESSED", "ERROR")
# The buckets the seed accounting_status_to_insights_status maps the accounting statuses to.
INSIGHTS_STATUSES = ("processed", "accountant_action_needed", "client_action_needed")
