"""Record the instances a composed service instance depends on.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'


def upgrade():
    with op.batch_alter_table('sm_instances') as batch:
        batch.add_column(sa.Column('dependencies', sa.JSON, nullable=True))
