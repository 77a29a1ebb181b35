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
"""The CC's stacks (the ``stack`` kind, ``hurtle.cc.stacks``).

``cc_stacks`` holds one row per Heat stack the CC deployed for an SO:
the app whose SO asked (``app_id``), the Heat stack name (``title``,
unique per app), Heat's id once it accepted the create, the region, and
the last state, reason and outputs read from Heat. Databases of 0005 get
the empty table; no other table changes.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'


def upgrade():
    op.create_table(
        'cc_stacks',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('app_id', sa.String(36), nullable=False, index=True),
        sa.Column('title', sa.String(255), nullable=False),
        sa.Column('heat_id', sa.String(64), nullable=True),
        sa.Column('region', sa.String(255), nullable=True),
        sa.Column('state', sa.String(32), nullable=False),
        sa.Column('reason', sa.Text, nullable=True),
        sa.Column('outputs', sa.JSON, nullable=True),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime, nullable=False),
        sa.UniqueConstraint('app_id', 'title', name='uq_cc_stacks_title'))
