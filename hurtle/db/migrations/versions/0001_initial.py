# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
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
