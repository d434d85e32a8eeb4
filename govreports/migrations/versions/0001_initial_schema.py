"""Initial schema: the tables of the first release (reports, versions, raw pages, cells, checks,
warnings, sections), as `Base.metadata.create_all` made them before migrations existed.

Revision ID: 0001
Revises: 
Create Date: 2026-11-27
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Spelled out here, not imported from govreports.store: a revision must not change when the models do.
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), 'postgresql')

revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('portal_code', sa.String(length=12), nullable=True),
    sa.Column('list_url', sa.Text(), nullable=True),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('url', name=op.f('uq_reports_url'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reports_portal_code'), ['portal_code'], unique=False)

    op.create_table('report_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('report_year', sa.Integer(), nullable=True),
    sa.Column('template', sa.String(length=16), nullable=False),
    sa.Column('issuer', sa.Text(), nullable=True),
    sa.Column('index_no', sa.Text(), nullable=True),
    sa.Column('written_date', sa.Date(), nullable=True),
    sa.Column('published_date', sa.Date(), nullable=True),
    sa.Column('doc_no', sa.Text(), nullable=True),
    sa.Column('subject', sa.Text(), nullable=True),
    sa.Column('category', sa.Text(), nullable=True),
    sa.Column('header_raw', JSON, nullable=False),
    sa.Column('encoding', sa.String(length=32), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('parsed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('parser_version', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_versions_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_versions')),
    sa.UniqueConstraint('report_id', 'content_sha256', name=op.f('uq_report_versions_report_id_content_sha256'))
    )
    with op.batch_alter_table('report_versions', schema=None) as batch_op:
        batch_op.create_index('ix_report_versions_one_current', ['report_id'], unique=True, sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))
        batch_op.create_index(batch_op.f('ix_report_versions_report_year'), ['report_year'], unique=False)
        batch_op.create_index(batch_op.f('ix_report_versions_sha256'), ['sha256'], unique=False)

    op.create_table('cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('table_key', sa.String(length=32), nullable=False),
    sa.Column('row_key', sa.String(length=64), nullable=False),
    sa.Column('col_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('value_exact', sa.String(length=64), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('inferred', sa.Boolean(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['report_versions.id'], name=op.f('fk_cells_version_id_report_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cells')),
    sa.UniqueConstraint('version_id', 'table_key', 'row_key', 'col_key', name=op.f('uq_cells_version_id_table_key_row_key_col_key'))
    )
    op.create_table('checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('check_key', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('left_value', sa.Double(), nullable=True),
    sa.Column('left_exact', sa.String(length=64), nullable=True),
    sa.Column('right_value', sa.Double(), nullable=True),
    sa.Column('right_exact', sa.String(length=64), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('pass', 'fail', 'not_assessable')", name=op.f('ck_checks_status')),
    sa.ForeignKeyConstraint(['version_id'], ['report_versions.id'], name=op.f('fk_checks_version_id_report_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checks')),
    sa.UniqueConstraint('version_id', 'position', name=op.f('uq_checks_version_id_position'))
    )
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checks_check_key'), ['check_key'], unique=False)

    op.create_table('raw_pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('compression', sa.String(length=16), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('headers', JSON, nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('page', 'attachment')", name=op.f('ck_raw_pages_role')),
    sa.ForeignKeyConstraint(['version_id'], ['report_versions.id'], name=op.f('fk_raw_pages_version_id_report_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_raw_pages')),
    sa.UniqueConstraint('version_id', 'url', name=op.f('uq_raw_pages_version_id_url'))
    )
    with op.batch_alter_table('raw_pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_raw_pages_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_raw_pages_version_id'), ['version_id'], unique=False)

    op.create_table('sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('heading', sa.Text(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['report_versions.id'], name=op.f('fk_sections_version_id_report_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sections')),
    sa.UniqueConstraint('version_id', 'position', name=op.f('uq_sections_version_id_position'))
    )
    op.create_table('warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('location', sa.Text(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('raw', JSON, nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['report_versions.id'], name=op.f('fk_warnings_version_id_report_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warnings')),
    sa.UniqueConstraint('version_id', 'position', name=op.f('uq_warnings_version_id_position'))
    )
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warnings_code'), ['code'], unique=False)

    # reports and report_versions point at each other: this key comes once both exist.
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_reports_current_version_id_report_versions'),
                                    'report_versions', ['current_version_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_reports_current_version_id_report_versions'), type_='foreignkey')

    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_warnings_code'))

    op.drop_table('warnings')
    op.drop_table('sections')
    with op.batch_alter_table('raw_pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_raw_pages_version_id'))
        batch_op.drop_index(batch_op.f('ix_raw_pages_sha256'))

    op.drop_table('raw_pages')
    with op.batch_alter_table('checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checks_check_key'))

    op.drop_table('checks')
    op.drop_table('cells')
    with op.batch_alter_table('report_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_versions_sha256'))
        batch_op.drop_index(batch_op.f('ix_report_versions_report_year'))
        batch_op.drop_index('ix_report_versions_one_current', sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))

    op.drop_table('report_versions')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reports_portal_code'))

    op.drop_table('reports')
