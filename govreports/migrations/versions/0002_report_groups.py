"""Report groups and primary reports, continuity checks across years, title hints.

- report_groups: one issuer's report for one year, found at one or more URLs;
  report_versions.group_id / is_primary (one primary per group, enforced by a partial index).
- checks.previous_version_id: the version a requests.continuity.* check compared with.
- report_versions.title_hint: the list link text, a parse input kept for re-parsing (set to
  the parsed title on versions stored before this revision).

Groups, primaries and continuity checks are derived data: govreports.migrate rebuilds them
(govreports.groups.rebuild) right after this revision runs on a database with rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('report_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_key', sa.Text(), nullable=False),
    sa.Column('issuer_key', sa.Text(), nullable=True),
    sa.Column('report_year', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_groups')),
    sa.UniqueConstraint('group_key', name=op.f('uq_report_groups_group_key'))
    )
    with op.batch_alter_table('report_groups', schema=None) as batch_op:
        batch_op.create_index('ix_report_groups_issuer_key_report_year', ['issuer_key', 'report_year'], unique=False)

    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_version_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_checks_previous_version_id_report_versions'), 'report_versions', ['previous_version_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('report_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title_hint', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('is_primary', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_report_versions_group_id'), ['group_id'], unique=False)
        batch_op.create_index('ix_report_versions_one_primary', ['group_id'], unique=True, sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))
        batch_op.create_foreign_key(batch_op.f('fk_report_versions_group_id_report_groups'), 'report_groups', ['group_id'], ['id'], ondelete='SET NULL')

    # Versions stored before this revision kept no link text: their parsed title is the best
    # stand-in for what the list page called them, and what a re-parse is given as the hint.
    op.execute("UPDATE report_versions SET title_hint = title")



def downgrade() -> None:
    with op.batch_alter_table('report_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_versions_group_id_report_groups'), type_='foreignkey')
        batch_op.drop_index('ix_report_versions_one_primary', sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))
        batch_op.drop_index(batch_op.f('ix_report_versions_group_id'))
        batch_op.drop_column('is_primary')
        batch_op.drop_column('group_id')
        batch_op.drop_column('title_hint')

    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checks_previous_version_id_report_versions'), type_='foreignkey')
        batch_op.drop_column('previous_version_id')

    with op.batch_alter_table('report_groups', schema=None) as batch_op:
        batch_op.drop_index('ix_report_groups_issuer_key_report_year')

    op.drop_table('report_groups')
