"""Table definitions (SQLAlchemy Core), the single source the migrations are generated from.

Times are stored as text ``YYYY-MM-DD HH:MM:SS`` in UTC, the format Magento's API shows, so that
they sort and compare the same way on SQLite and PostgreSQL; lease and retry instants that only the
machinery reads are stored as epoch seconds (float).

Each domain module owns the tables in its section; add a table here, then run
``make migration MSG="what changed"`` to generate the migration.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)

# --- configuration -------------------------------------------------------------------------------

core_config = sa.Table(
    "core_config",
    metadata,
    sa.Column("path", sa.String(255), primary_key=True),
    sa.Column("value", sa.Text, nullable=True),
)

# --- stores --------------------------------------------------------------------------------------

store_website = sa.Table(
    "store_website",
    metadata,
    sa.Column("website_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
    sa.Column("default_group_id", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
)

store_group = sa.Table(
    "store_group",
    metadata,
    sa.Column("group_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("website_id", sa.Integer, sa.ForeignKey("store_website.website_id"), nullable=False),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("root_category_id", sa.Integer, nullable=False, server_default="0"),
    sa.Column("default_store_id", sa.Integer, nullable=False, server_default="0"),
)

store = sa.Table(
    "store",
    metadata,
    sa.Column("store_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("website_id", sa.Integer, sa.ForeignKey("store_website.website_id"), nullable=False),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("store_group.group_id"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
)

# --- authentication ------------------------------------------------------------------------------

admin_user = sa.Table(
    "admin_user",
    metadata,
    sa.Column("user_id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(40), nullable=False, unique=True),
    sa.Column("email", sa.String(128), nullable=False),
    sa.Column("firstname", sa.String(32), nullable=False, server_default=""),
    sa.Column("lastname", sa.String(32), nullable=False, server_default=""),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.String(19), nullable=False),
)

integration = sa.Table(
    "integration",
    metadata,
    sa.Column("integration_id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("all_resources", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("resources", sa.Text, nullable=False, server_default="[]"),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.String(19), nullable=False),
)

login_failure = sa.Table(
    "login_failure",
    metadata,
    sa.Column("user_type", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("username", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lock_expires", sa.Float, nullable=True),
)

oauth_token = sa.Table(
    "oauth_token",
    metadata,
    sa.Column("token_id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_type", sa.Integer, nullable=False),
    sa.Column("user_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=True),
    sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_oauth_token_user", "user_type", "user_id"),
)

# --- asynchronous operations ---------------------------------------------------------------------

magento_bulk = sa.Table(
    "magento_bulk",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("uuid", sa.String(39), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, nullable=True, index=True),
    sa.Column("user_type", sa.Integer, nullable=True),
    sa.Column("description", sa.String(255), nullable=True),
    sa.Column("operation_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("start_time", sa.String(19), nullable=False, index=True),
)

magento_operation = sa.Table(
    "magento_operation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "bulk_uuid",
        sa.String(39),
        sa.ForeignKey("magento_bulk.uuid", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("operation_key", sa.Integer, nullable=False),
    sa.Column("topic_name", sa.String(255), nullable=False),
    sa.Column("serialized_data", sa.Text, nullable=True),
    sa.Column("result_serialized_data", sa.Text, nullable=True),
    sa.Column("status", sa.SmallInteger, nullable=False, server_default="4"),
    sa.Column("error_code", sa.Integer, nullable=True),
    sa.Column("result_message", sa.Text, nullable=True),
    sa.Column("started_at", sa.String(19), nullable=True),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Column("accepted_at", sa.Float, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    # Secrets of the input (passwords), kept out of serialized_data, which shows "******"
    # instead; cleared once the operation ran (operations.sensitive). Never read by any API.
    sa.Column("sensitive_data", sa.Text, nullable=True),
    sa.UniqueConstraint("bulk_uuid", "operation_key"),
    sa.Index("ix_magento_operation_bulk_status", "bulk_uuid", "status"),
    sa.Index("ix_magento_operation_status_started", "status", "started_at"),
    sa.Index("ix_magento_operation_bulk_error", "bulk_uuid", "error_code"),
)

# Messages committed with their operations and not yet handed over. With the database transport
# consumers claim these rows directly (lease columns); with RabbitMQ they are the outbox that the
# relay publishes and deletes once the broker confirmed them.
queue_message = sa.Table(
    "queue_message",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("queue_name", sa.String(255), nullable=False),
    sa.Column("topic_name", sa.String(255), nullable=False),
    sa.Column("bulk_uuid", sa.String(39), nullable=False),
    sa.Column("operation_key", sa.Integer, nullable=False),
    sa.Column("available_at", sa.Float, nullable=False),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    sa.Column("lease_expires", sa.Float, nullable=True),
    sa.Column("deliveries", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_queue_message_claim", "queue_name", "available_at", "id"),
    sa.Index("ix_queue_message_operation", "bulk_uuid", "operation_key"),
)

consumer_heartbeat = sa.Table(
    "consumer_heartbeat",
    metadata,
    sa.Column("consumer_id", sa.String(64), primary_key=True),
    sa.Column("consumer_name", sa.String(255), nullable=False),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False),
    sa.Column("processed", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("state", sa.String(16), nullable=False, server_default="running"),
)

# --- catalog: products ---------------------------------------------------------------------------
# One entity row per product; ``sku_key`` (the lower-cased SKU) makes the SKU a case-insensitive
# identity on every database. Attribute values live in ``catalog_product_value``, one row per
# (product, attribute, store): store 0 holds the default values, a store view's row overrides it.
# The value sits in the column of its backend type so that comparisons and sorting are typed and
# indexed; long texts go to the unindexed ``value_text``.

catalog_product_entity = sa.Table(
    "catalog_product_entity",
    metadata,
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("sku_key", sa.String(64), nullable=False, unique=True),
    sa.Column("attribute_set_id", sa.Integer, nullable=False, server_default="4"),
    sa.Column("type_id", sa.String(32), nullable=False, server_default="simple", index=True),
    sa.Column("created_at", sa.String(19), nullable=False, index=True),
    sa.Column("updated_at", sa.String(19), nullable=False, index=True),
)

catalog_product_value = sa.Table(
    "catalog_product_value",
    metadata,
    sa.Column(
        "entity_id",
        sa.Integer,
        sa.ForeignKey("catalog_product_entity.entity_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("attribute_id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("store_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value_string", sa.String(255), nullable=True),
    sa.Column("value_number", sa.Float, nullable=True),
    sa.Column("value_text", sa.Text, nullable=True),
    # The entity id last: filters read ids from the index alone, and a sort by a value walks
    # the index in (value, id) order and stops at the page's end.
    sa.Index(
        "ix_catalog_product_value_string", "attribute_id", "store_id", "value_string", "entity_id"
    ),
    sa.Index(
        "ix_catalog_product_value_number", "attribute_id", "store_id", "value_number", "entity_id"
    ),
)

# The URL keys in use, per store level (0 = default): the primary key makes two products with the
# same key at the same level impossible even under concurrent writers.
catalog_product_url_key = sa.Table(
    "catalog_product_url_key",
    metadata,
    sa.Column("store_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("url_key", sa.String(255), primary_key=True),
    sa.Column(
        "entity_id",
        sa.Integer,
        sa.ForeignKey("catalog_product_entity.entity_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Index("ix_catalog_product_url_key_key", "url_key"),
    sa.Index("ix_catalog_product_url_key_entity", "entity_id", "store_id"),
)

catalog_product_website = sa.Table(
    "catalog_product_website",
    metadata,
    sa.Column(
        "product_id",
        sa.Integer,
        sa.ForeignKey("catalog_product_entity.entity_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("website_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Index("ix_catalog_product_website_website", "website_id", "product_id"),
)

# Category membership, shared with the categories module (which owns the category entity):
# written through ``commerce_async.catalog.links``.
catalog_category_product = sa.Table(
    "catalog_category_product",
    metadata,
    sa.Column("category_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "product_id",
        sa.Integer,
        sa.ForeignKey("catalog_product_entity.entity_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Index("ix_catalog_category_product_product", "product_id", "category_id"),
)

# Legacy single-source stock (Magento's cataloginventory_stock_item, stock 1).
cataloginventory_stock_item = sa.Table(
    "cataloginventory_stock_item",
    metadata,
    sa.Column(
        "product_id",
        sa.Integer,
        sa.ForeignKey("catalog_product_entity.entity_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("qty", sa.Float, nullable=False, server_default="0"),
    sa.Column("is_in_stock", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("is_qty_decimal", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("manage_stock", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("use_config_manage_stock", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("min_sale_qty", sa.Float, nullable=False, server_default="1"),
    sa.Column("use_config_min_sale_qty", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("max_sale_qty", sa.Float, nullable=False, server_default="10000"),
    sa.Column("use_config_max_sale_qty", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("backorders", sa.Integer, nullable=False, server_default="0"),
    sa.Column("use_config_backorders", sa.Boolean, nullable=False, server_default=sa.true()),
)

# --- catalog: categories -------------------------------------------------------------------------
# The category tree as Magento keeps it: ``path`` is the chain of ids from the tree root
# ("1/2/11"), ``level`` its depth, ``children_count`` the number of all descendants. Attribute
# values (name, is_active, url_key ...) live in ``catalog_category_value``, one row per
# (category, attribute, store): store 0 holds the defaults, a store view's row overrides them.

catalog_category_entity = sa.Table(
    "catalog_category_entity",
    metadata,
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("parent_id", sa.Integer, nullable=False, server_default="0"),
    sa.Column("path", sa.String(255), nullable=False),
    sa.Column("position", sa.Integer, nullable=False, server_default="0"),
    sa.Column("level", sa.Integer, nullable=False, server_default="0"),
    sa.Column("children_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.String(19), nullable=False),
    sa.Column("updated_at", sa.String(19), nullable=False),
    sa.Index("ix_catalog_category_entity_parent", "parent_id", "position"),
    sa.Index("ix_catalog_category_entity_path", "path"),
)

catalog_category_value = sa.Table(
    "catalog_category_value",
    metadata,
    sa.Column(
        "entity_id",
        sa.Integer,
        sa.ForeignKey("catalog_category_entity.entity_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("attribute_id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("store_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Text, nullable=True),
    sa.Index("ix_catalog_category_value_attribute", "attribute_id", "store_id"),
)

# --- customers -----------------------------------------------------------------------------------
# One row per customer account. ``email_key`` (the lower-cased email) makes the email unique per
# website whatever its case, as Magento's case-insensitive collation does. Addresses are kept as a
# JSON document per address: they are read and written whole, never queried by field.

customer_group = sa.Table(
    "customer_group",
    metadata,
    sa.Column("customer_group_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("customer_group_code", sa.String(32), nullable=False, unique=True),
    sa.Column("tax_class_id", sa.Integer, nullable=False, server_default="3"),
)

customer_entity = sa.Table(
    "customer_entity",
    metadata,
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("website_id", sa.Integer, nullable=False),
    sa.Column("email", sa.String(255), nullable=False),
    sa.Column("email_key", sa.String(255), nullable=False),
    sa.Column("group_id", sa.Integer, nullable=False, server_default="1"),
    sa.Column("store_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.String(19), nullable=False, index=True),
    sa.Column("updated_at", sa.String(19), nullable=False),
    sa.Column("created_in", sa.String(255), nullable=True),
    sa.Column("firstname", sa.String(255), nullable=True),
    sa.Column("middlename", sa.String(255), nullable=True),
    sa.Column("lastname", sa.String(255), nullable=True),
    sa.Column("prefix", sa.String(40), nullable=True),
    sa.Column("suffix", sa.String(40), nullable=True),
    sa.Column("dob", sa.String(10), nullable=True),
    sa.Column("taxvat", sa.String(50), nullable=True),
    sa.Column("gender", sa.Integer, nullable=True),
    sa.Column("default_billing", sa.Integer, nullable=True),
    sa.Column("default_shipping", sa.Integer, nullable=True),
    sa.Column("disable_auto_group_change", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("password_hash", sa.String(255), nullable=True),
    sa.UniqueConstraint("email_key", "website_id"),
    sa.Index("ix_customer_entity_lastname", "lastname"),
)

customer_address_entity = sa.Table(
    "customer_address_entity",
    metadata,
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column(
        "parent_id",
        sa.Integer,
        sa.ForeignKey("customer_entity.entity_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("data", sa.Text, nullable=False),
)
