"""foundation

Revision ID: 0001
Revises:
Create Date: 2026-11-27 11:49:54.047080
"""

import sqlalchemy as sa
from alembic import op

import openminis.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_auth_sessions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_sessions")),
    )
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "developers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_developers_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_developers")),
        sa.UniqueConstraint("user_id", name=op.f("uq_developers_user_id")),
    )
    op.create_table(
        "sign_in_links",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("guest_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["guest_id"], ["users.id"], name=op.f("fk_sign_in_links_guest_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sign_in_links")),
    )
    op.create_table(
        "apps",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("latest_version", sa.String(length=64), nullable=True),
        sa.Column("developer_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["developer_id"], ["developers.id"], name=op.f("fk_apps_developer_id_developers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apps")),
    )
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_apps_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_apps_developer_id"), ["developer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_apps_kind"), ["kind"], unique=False)

    op.create_table(
        "app_secrets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("init_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_app_secrets_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_secrets")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_app_secrets_secret_hash")),
    )
    with op.batch_alter_table("app_secrets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_secrets_app_id"), ["app_id"], unique=False)

    op.create_table(
        "app_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("manifest", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_app_versions_app_id_apps"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_versions")),
        sa.UniqueConstraint("app_id", "version", name=op.f("uq_app_versions_app_id")),
    )
    with op.batch_alter_table("app_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_versions_app_id"), ["app_id"], unique=False)

    op.create_table(
        "authorizations",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("profile", sa.Boolean(), nullable=False),
        sa.Column("granted_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_authorizations_app_id_apps"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_authorizations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "app_id", name=op.f("pk_authorizations")),
    )
    op.create_table(
        "cloud_saves",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("updated_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_cloud_saves_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_cloud_saves_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "app_id", "key", name=op.f("pk_cloud_saves")),
    )
    op.create_table(
        "launches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_launches_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_launches_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_launches")),
    )
    with op.batch_alter_table("launches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_launches_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_launches_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_launches_user_id"), ["user_id"], unique=False)

    op.create_table(
        "login_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_login_codes_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_codes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_login_codes")),
    )
    op.create_table(
        "user_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("family", sa.String(length=32), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", openminis.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_user_tokens_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_user_tokens")),
    )
    with op.batch_alter_table("user_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_tokens_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_tokens_family"), ["family"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "app_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=40), nullable=False),
        sa.Column("secret_id", sa.Integer(), nullable=False),
        sa.Column("created_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", openminis.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["app_id"], ["apps.id"], name=op.f("fk_app_tokens_app_id_apps"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["secret_id"], ["app_secrets.id"], name=op.f("fk_app_tokens_secret_id_app_secrets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_app_tokens")),
    )
    with op.batch_alter_table("app_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_tokens_app_id"), ["app_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("app_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_tokens_app_id"))

    op.drop_table("app_tokens")
    with op.batch_alter_table("user_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_user_tokens_family"))
        batch_op.drop_index(batch_op.f("ix_user_tokens_app_id"))

    op.drop_table("user_tokens")
    op.drop_table("login_codes")
    with op.batch_alter_table("launches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_launches_user_id"))
        batch_op.drop_index(batch_op.f("ix_launches_created_at"))
        batch_op.drop_index(batch_op.f("ix_launches_app_id"))

    op.drop_table("launches")
    op.drop_table("cloud_saves")
    op.drop_table("authorizations")
    with op.batch_alter_table("app_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_versions_app_id"))

    op.drop_table("app_versions")
    with op.batch_alter_table("app_secrets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_secrets_app_id"))

    op.drop_table("app_secrets")
    with op.batch_alter_table("apps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_apps_kind"))
        batch_op.drop_index(batch_op.f("ix_apps_developer_id"))
        batch_op.drop_index(batch_op.f("ix_apps_category"))

    op.drop_table("apps")
    op.drop_table("sign_in_links")
    op.drop_table("developers")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_sessions_user_id"))

    op.drop_table("auth_sessions")
    op.drop_table("users")
