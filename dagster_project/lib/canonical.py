"""The canonical contract: the landing sources, their columns, keys and rules.

Every input file, whatever its own column names, is mapped onto these columns
(see `sources.py`); the dbt staging models read exactly these raw tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One canonical column.

    `default` is a SQL expression used when a mapping does not provide the column;
    it may use the pseudo-columns `_line_number` and `_file_name`.
    """

    name: str
    type: str  # varchar | integer | decimal | timestamp | date | boolean
    required: bool = False
    default: str | None = None
    accepted: tuple[str, ...] = ()
    non_negative: bool = False
    positive: bool = False
    # Planned dates (a campaign's end) may lie ahead; facts may not (see values.DateWindow).
    future_allowed: bool = False

    @property
    def is_identifier(self) -> bool:
        """Keys and references: no control characters allowed in them."""
        return self.type == "varchar" and self.name.endswith(("_id", "_ref"))


@dataclass(frozen=True)
class RowCheck:
    """A rule across columns of one row: rows where `condition` (SQL over the typed
    canonical columns) is true are quarantined with `reason`."""

    condition: str
    reason: str


@dataclass(frozen=True)
class Source:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str
    # Columns of which at least one must be provided by the mapping.
    one_of: tuple[str, ...] = ()
    optional: bool = True
    row_checks: tuple[RowCheck, ...] = ()
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required and c.default is None]


PSEUDO_COLUMNS = ("_line_number", "_file_name")

TRANSACTION_CHANNELS = ("web", "store", "phone", "mail", "marketplace")
TRANSACTION_STATUSES = ("completed", "returned", "cancelled")
EVENT_TYPES = (
    "product_page_view",
    "blog_view",
    "pricing_page_view",
    "cart_add",
    "email_open",
    "email_click",
    "form_submit",
    "webinar_attended",
    "unsubscribe",
)
INVOICE_STATUSES = ("open", "paid", "partially_paid", "written_off", "disputed")

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            name="transactions",
            description="One row per order line; a returned line counts negative.",
            optional=False,
            key=("order_id", "order_line"),
            one_of=("unit_price", "line_amount"),
            columns=(
                # A till export without order numbers: each line is its own order.
                Column(
                    "order_id",
                    "varchar",
                    required=True,
                    default="_file_name || ':' || _line_number",
                ),
                Column("order_line", "integer", required=True, default="_line_number"),
                Column("customer_ref", "varchar", required=True),
                Column("order_ts", "timestamp", required=True),
                Column("channel", "varchar", accepted=TRANSACTION_CHANNELS),
                Column("product_id", "varchar"),
                Column("category", "varchar"),
                Column("quantity", "decimal", required=True, default="1", positive=True),
                Column("unit_price", "decimal", non_negative=True),
                Column("discount", "decimal", default="0", non_negative=True),
                # Given instead of unit_price by many exports: quantity x price - discount.
                Column("line_amount", "decimal"),
                Column("currency", "varchar", default="'EUR'"),
                Column(
                    "status",
                    "varchar",
                    required=True,
                    default="'completed'",
                    accepted=TRANSACTION_STATUSES,
                ),
            ),
        ),
        Source(
            name="interactions",
            description="Digital events (web, email, app); no customer_ref means anonymous.",
            key=("event_id",),
            columns=(
                Column(
                    "event_id",
                    "varchar",
                    required=True,
                    default="_file_name || ':' || _line_number",
                ),
                Column("customer_ref", "varchar"),
                Column("event_ts", "timestamp", required=True),
                Column("event_type", "varchar", required=True, accepted=EVENT_TYPES),
                Column("channel", "varchar"),
                Column("url", "varchar"),
                Column("campaign_id", "varchar"),
            ),
        ),
        Source(
            name="crm_customers",
            description="Customers known to the CRM.",
            key=("customer_id",),
            columns=(
                Column("customer_id", "varchar", required=True),
                Column("email", "varchar"),
                Column("first_name", "varchar"),
                Column("last_name", "varchar"),
                Column("birth_date", "date"),
                Column("postcode", "varchar"),
                Column("city", "varchar"),
                Column("country", "varchar"),
                Column("signup_ts", "timestamp"),
                Column("acquisition_channel", "varchar"),
                Column("opt_in_email", "boolean"),
                Column("loyalty_member", "boolean"),
            ),
        ),
        Source(
            name="crm_notes",
            description="Free-text notes written by sales and service staff (French, English).",
            key=("note_id",),
            columns=(
                Column(
                    "note_id", "varchar", required=True, default="_file_name || ':' || _line_number"
                ),
                Column("customer_ref", "varchar", required=True),
                Column("note_ts", "timestamp", required=True),
                Column("author", "varchar"),
                Column("note_text", "varchar", required=True),
            ),
        ),
        Source(
            name="campaigns",
            description="Marketing campaigns and their costs.",
            key=("campaign_id",),
            columns=(
                Column("campaign_id", "varchar", required=True),
                Column("name", "varchar"),
                Column("channel", "varchar"),
                Column("start_date", "date", future_allowed=True),
                Column("end_date", "date", future_allowed=True),
                Column("cost_per_contact", "decimal", default="0", non_negative=True),
                Column("fixed_cost", "decimal", default="0", non_negative=True),
                Column("offer", "varchar"),
            ),
        ),
        Source(
            name="campaign_contacts",
            description="Who was contacted by which campaign, and who responded.",
            key=("campaign_id", "customer_ref", "contact_ts"),
            columns=(
                Column("campaign_id", "varchar", required=True),
                Column("customer_ref", "varchar", required=True),
                Column("contact_ts", "timestamp", required=True),
                Column("responded", "boolean", default="false"),
                Column("response_ts", "timestamp"),
                Column("order_id", "varchar"),
                # A held-out customer of a control group: selected, not contacted.
                Column("is_control", "boolean", default="false"),
            ),
        ),
        Source(
            name="invoices",
            description="Invoices and their payments (paid_date is empty while unpaid).",
            key=("invoice_id",),
            columns=(
                Column("invoice_id", "varchar", required=True),
                Column("customer_ref", "varchar", required=True),
                Column("order_id", "varchar"),
                Column("issue_date", "date", required=True),
                Column("due_date", "date", required=True, future_allowed=True),
                Column("amount", "decimal", required=True, non_negative=True),
                Column("currency", "varchar", default="'EUR'"),
                Column("paid_amount", "decimal", default="0", non_negative=True),
                Column("paid_date", "date"),
                Column("status", "varchar", required=True, accepted=INVOICE_STATUSES),
            ),
            row_checks=(
                RowCheck("due_date < issue_date", "due_date before issue_date"),
                RowCheck("paid_amount > amount", "paid_amount above amount"),
            ),
        ),
    )
}

SQL_TYPES = {
    "varchar": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18, 4)",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "boolean": "BOOLEAN",
}

# Lineage columns every raw table carries, after the canonical ones.
LINEAGE_COLUMNS = (
    ("_source_file", "VARCHAR"),
    ("_line_number", "BIGINT"),
    ("_file_hash", "VARCHAR"),
    ("_loaded_at", "TIMESTAMP"),
)
