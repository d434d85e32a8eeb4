"""fetch_log: fetches that gave no report (anti-bot answers, off-site redirects, failures after
retries, https -> http fallbacks), one row per event with its reason (govreports.fetchlog).

A new table only: nothing to rebuild, no derived data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('fetch_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('portal_code', sa.String(length=12), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("outcome IN ('blocked', 'offsite', 'failed', 'fallback')", name=op.f('ck_fetch_log_outcome')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fetch_log'))
    )
    with op.batch_alter_table('fetch_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fetch_log_portal_code'), ['portal_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_fetch_log_url'), ['url'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fetch_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fetch_log_url'))
        batch_op.drop_index(batch_op.f('ix_fetch_log_portal_code'))

    op.drop_table('fetch_log')
