"""Services: what a contract is for

Each contract is for one service (dienst) of its supplier. Contracts that exist already get a service named after
the contract, as the register import does for a row without a service.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 12:42:26.164812
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import bot.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", bot.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_service_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service")),
        sa.UniqueConstraint("supplier_id", "name", name=op.f("uq_service_supplier_id_name")),
    )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_supplier_id"), ["supplier_id"], unique=False)

    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contract_service_id"), ["service_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_contract_service_id_service"), "service", ["service_id"], ["id"])

    op.execute(
        "INSERT INTO service (supplier_id, name, created_at) "
        "SELECT DISTINCT supplier_id, name, CURRENT_TIMESTAMP FROM contract"
    )
    op.execute(
        "UPDATE contract SET service_id = (SELECT service.id FROM service "
        "WHERE service.supplier_id = contract.supplier_id AND service.name = contract.name)"
    )


def downgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_contract_service_id_service"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_contract_service_id"))
        batch_op.drop_column("service_id")

    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_supplier_id"))

    op.drop_table("service")
