"""column_walks: the latest walk of each list by the crawl, started and (if the crawl that walked
it closed normally) finished, so an incremental crawl stops paging a list early only after a
finished walk (govreports.incremental).

A new table only: nothing to rebuild; an upgraded database has no finished walks, so its next
crawl walks every list in full once (stored report pages are still skipped).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('column_walks',
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('portal_code', sa.String(length=12), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_column_walks'))
    )


def downgrade() -> None:
    op.drop_table('column_walks')
