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
"""The CC's lost stack creates (``hurtle.cc.orphan_stacks``).

``cc_lost_creates`` holds one row per stack create of the CC whose
answer was lost within ``[cc] orphan_stack_window`` (Heat may still do
it): the app, the stack's title and region, the project and credentials
it was sent with (the trust id; encrypted) and when it was lost.
Databases of 0007 get the empty table; no other table changes.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'


def upgrade():
    op.create_table(
        'cc_lost_creates',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('app_id', sa.String(36), nullable=False, index=True),
        sa.Column('title', sa.String(255), nullable=False),
        sa.Column('region', sa.String(255), nullable=True),
        sa.Column('project', sa.String(255), nullable=True),
        sa.Column('access', sa.JSON, nullable=False),
        sa.Column('lost_at', sa.DateTime, nullable=False, index=True))
