"""Number the lifecycle operations of each SM instance.

``sm_instances.operation`` is incremented by the conditional update that
accepts an operation (create, update, delete, resume), so that exactly one
of several concurrent requests wins and a finishing lifecycle never
overwrites the record of a newer one.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'


def upgrade():
    with op.batch_alter_table('sm_instances') as batch:
        batch.add_column(sa.Column('operation', sa.Integer, nullable=False,
                                   server_default='0'))
