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
"""The CC's tombstones of deleted apps (``hurtle.cc.orphan_stacks``).

``cc_app_tombstones`` holds one row per app deleted within ``[cc]
orphan_stack_window``: its id, the project its stacks were made in, the
credentials to reach them (trust id, regions; encrypted) and when it was
deleted. Databases of 0007 get the empty table; no other table changes.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'


def upgrade():
    op.create_table(
        'cc_app_tombstones',
        sa.Column('app_id', sa.String(36), primary_key=True),
        sa.Column('project', sa.String(255), nullable=True),
        sa.Column('access', sa.JSON, nullable=False),
        sa.Column('deleted_at', sa.DateTime, nullable=False, index=True))
