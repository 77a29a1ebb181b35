"""Initial schema: SM service instances and CC apps.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None


def upgrade():
    op.create_table(
        'sm_instances',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project', sa.String(255), nullable=False, index=True),
        sa.Column('service', sa.String(255), nullable=False, index=True),
        sa.Column('state', sa.String(32), nullable=False),
        sa.Column('reason', sa.Text, nullable=True),
        sa.Column('attributes', sa.JSON, nullable=False),
        sa.Column('pending', sa.JSON, nullable=True),
        sa.Column('app_url', sa.String(1024), nullable=True),
        sa.Column('so_url', sa.String(1024), nullable=True),
        sa.Column('so_secret', sa.String(255), nullable=True),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=False),
    )
    op.create_table(
        'cc_apps',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project', sa.String(255), nullable=False, index=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('image', sa.String(1024), nullable=False),
        sa.Column('env', sa.JSON, nullable=False),
        sa.Column('state', sa.String(32), nullable=False),
        sa.Column('url', sa.String(1024), nullable=True),
        sa.Column('runtime_ref', sa.JSON, nullable=True),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=False),
    )
