"""reports.etag, reports.last_modified: the validators of a report's page as last fetched, so a
conditional re-fetch (`-a refresh=1`) sends what the server gave last, also when the server
changed them without changing the page (a CMS republishing its static files). Until then they
came from the current version's raw page, which an unchanged re-fetch does not touch.

New nullable columns only; an upgraded database keeps reading the raw pages' headers for the
reports that have none yet (Store.validators).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from __future__ import annotations

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column('reports', sa.Column('etag', sa.Text(), nullable=True))
    op.add_column('reports', sa.Column('last_modified', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('last_modified')
        batch.drop_column('etag')
