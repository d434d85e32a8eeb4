"""Test-only revision on top of the real head (tests/test_migrations.py adds this folder).

It changes parent tables the way a real revision would: on SQLite a check constraint and an
altered column make Alembic's batch mode rebuild `reports` and `report_versions` (copy, drop,
rename), the dangerous case for rows in child tables with ON DELETE CASCADE. On PostgreSQL the
same operations are plain ALTER TABLEs.

Revision ID: 9001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from govreports.migrate import head

revision = "9001"
# Always on top of whatever the real head is, so a new real revision does not fork the chain.
down_revision = head()
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default="none"))
        batch_op.create_check_constraint("note", "note <> ''")
    with op.batch_alter_table("report_versions") as batch_op:
        batch_op.alter_column("encoding", existing_type=sa.String(32), type_=sa.String(64))


def downgrade() -> None:
    with op.batch_alter_table("report_versions") as batch_op:
        batch_op.alter_column("encoding", existing_type=sa.String(64), type_=sa.String(32))
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_reports_note"), type_="check")
        batch_op.drop_column("note")
