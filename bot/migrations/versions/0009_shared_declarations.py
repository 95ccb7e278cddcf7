"""Shared declarations: a supplier answers once for every municipality whose contracts for a service get it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 13:18:02.965725
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.db

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("lead_uitvraag_id", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["reviewcycle.id"], name=op.f("fk_declaration_cycle_id_reviewcycle")),
        sa.ForeignKeyConstraint(
            ["lead_uitvraag_id"], ["uitvraag.id"], name=op.f("fk_declaration_lead_uitvraag_id_uitvraag")
        ),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], name=op.f("fk_declaration_service_id_service")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_declaration_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_declaration")),
        sa.UniqueConstraint("lead_uitvraag_id", name=op.f("uq_declaration_lead_uitvraag_id")),
        sa.UniqueConstraint("supplier_id", "service_id", "questionnaire_id", "cycle_id", name="uq_declaration_key"),
    )
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declaration_supplier_id"), ["supplier_id"], unique=False)

    op.create_table(
        "declarationmember",
        sa.Column("uitvraag_id", sa.Integer(), nullable=False),
        sa.Column("declaration_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("excluded_at", bot.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"], ["declaration.id"], name=op.f("fk_declarationmember_declaration_id_declaration")
        ),
        sa.ForeignKeyConstraint(
            ["uitvraag_id"], ["uitvraag.id"], name=op.f("fk_declarationmember_uitvraag_id_uitvraag")
        ),
        sa.PrimaryKeyConstraint("uitvraag_id", name=op.f("pk_declarationmember")),
    )
    with op.batch_alter_table("declarationmember", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_declarationmember_declaration_id"), ["declaration_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("declarationmember", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declarationmember_declaration_id"))

    op.drop_table("declarationmember")
    with op.batch_alter_table("declaration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_declaration_supplier_id"))

    op.drop_table("declaration")
